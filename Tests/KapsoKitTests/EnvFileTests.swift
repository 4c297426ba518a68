import Foundation
@testable import KapsoKit
import Testing

@Suite struct EnvFileTests {
    private func parse(_ text: String) -> Result<[String: String], SpecFailure> {
        EnvFile.parse(Array(text.utf8), path: "kapso.env")
    }

    /// What `export --env-template` writes and what people write: comments, blank lines, `export `,
    /// quotes of both kinds, escapes in double quotes only, values over several lines, inline
    /// comments after a blank, CRLF line ends, a later line for a name winning.
    @Test func dotenvAsPeopleWriteIt() throws {
        let text = """
        # Variables read by the exported spec
        KAPSO_SECRET=
        PLAIN=abc def   # a comment
        HASH=a#b
          export EXPORTED = 'single $HOME \\n'
        DOUBLE="line\\nnext\\t\\"q\\" \\\\ \\$X \\q"
        MULTI="-----BEGIN KEY-----
        abc
        -----END KEY-----"
        CRLF=windows\r
        QUOTED_HASH='a # b' # comment
        TWICE=first
        TWICE=second
        _UNDER_9=x

        """
        let variables = try parse(text).get()
        #expect(variables == [
            "KAPSO_SECRET": "", "PLAIN": "abc def", "HASH": "a#b", "EXPORTED": "single $HOME \\n",
            "DOUBLE": "line\nnext\t\"q\" \\ $X \\q", "MULTI": "-----BEGIN KEY-----\nabc\n-----END KEY-----",
            "CRLF": "windows", "QUOTED_HASH": "a # b", "TWICE": "second", "_UNDER_9": "x",
        ])
    }

    /// Every problem at its line and column, in words, never quoting the line (its value is a
    /// secret); kapsoctl's own settings cannot come from a file. A quote never closed takes the
    /// rest of the file (as a value over several lines would), so nothing after it is judged.
    @Test func problemsAreNamedWithoutTheirValues() {
        let canary = "CANARY-env-value"
        let text = "GOOD=1\nno equals \(canary)\n9BAD=\(canary)\nKAPSO_API_URL=https://evil.example.com\nKAPSOCTL_SPEC_VARS=*\nOPEN=\"\(canary)\nX='\(canary)' tail\n"
        guard case .failure(let failure) = parse(text) else {
            Issue.record("accepted")
            return
        }
        let lines = failure.diagnostics.map(\.description)
        #expect(lines == [
            "kapso.env:2:1: error: a line of an env file is NAME=value; this one has no '='",
            "kapso.env:3:1: error: '9BAD' is not a variable name (letters, digits and _, not starting with a digit)",
            "kapso.env:4:1: error: KAPSO_API_URL cannot come from an env file: it decides where the API key is sent; set it in the environment or pass --api-url",
            "kapso.env:5:1: error: KAPSOCTL_SPEC_VARS cannot come from an env file: kapsoctl's settings (which variables a spec may read, where verify sends) are set in the environment",
            "kapso.env:6:6: error: the quote opened here is never closed",
        ], "\(lines)")
        #expect(!failure.rendered().contains(canary))
        #expect(failure.diagnostics.allSatisfy { $0.sourceLine == nil })
        guard case .failure(let tail) = parse("X='\(canary)' tail\n") else {
            Issue.record("text after a quote accepted")
            return
        }
        #expect(tail.diagnostics.map(\.description) == ["kapso.env:1:22: error: text after the closing quote; quote the whole value"])
    }
}
