import Foundation
import Testing
@testable import KapsoKit

@Suite struct OutputSafetyTests {
    @Test(arguments: [
        ("https://hooks.example.com/a?x=1", "https://hooks.example.com/a?x=1"),
        ("https://user:pw@hooks.example.com/a", "https://user:(sensitive)@hooks.example.com/a"),
        ("https://ghp_token@hooks.example.com/a", "https://(sensitive)@hooks.example.com/a"),
        ("https://hooks.example.com/a?token=abc&team=blue&api_key=k#frag", "https://hooks.example.com/a?token=(sensitive)&team=blue&api_key=(sensitive)#frag"),
        ("https://hook:${PW}@h.example.com/${P}?token=${T}", "https://hook:${PW}@h.example.com/${P}?token=${T}"),
        ("https://hook:pre${PW}@h.example.com/?Signature=x${T}", "https://hook:(sensitive)@h.example.com/?Signature=(sensitive)"),
        ("https://h.example.com/a?token=", "https://h.example.com/a?token="),
        ("not a url", "not a url"),
    ])
    func urlsAreShownWithCredentialsMasked(_ url: String, _ shown: String) {
        #expect(URLDisplay.masked(url) == shown)
    }

    @Test func controlAndBidiCharactersAreEscaped() {
        #expect(HumanText.escape("a\u{1B}[2Jb\u{07}\r\n\tc\u{9B}\u{202E}d\u{7F}") == "a\\u001B[2Jb\\u0007\\u000D\\u000A\tc\\u009B\\u202Ed\\u007F")
        #expect(HumanText.escape("line\nnext", keepNewlines: true) == "line\nnext")
        #expect(HumanText.escape("plain ünïcode ✓") == "plain ünïcode ✓")
        // The renderer's own colour passes; anything else in an escape sequence does not.
        #expect(HumanText.escapeKeepingColour("\u{1B}[32m+ \u{1B}[0mx\u{1B}]0;title\u{07}\u{1B}[2J")
                == "\u{1B}[32m+ \u{1B}[0mx\\u001B]0;title\\u0007\\u001B[2J")
    }

    @Test func knownSecretsAreMaskedWherever() {
        let redactor = Redactor(["CANARY-long-secret", "CANARY", "abc"])
        #expect(redactor.redact("x CANARY-long-secret y CANARY z abc") == "x (sensitive) y (sensitive) z abc")
        #expect(redactor.redact("nothing here") == "nothing here")
        #expect(Redactor([String]()).redact("CANARY") == "CANARY")
    }

    @Test func jsonOutputEscapesEveryControlCharacter() {
        let text = String(decoding: JSONValue.object(["k": .string("a\u{1B}b\u{9B}c\u{202E}d")]).pretty(), as: UTF8.self)
        #expect(text == "{\n  \"k\": \"a\\u001bb\\u009Bc\\u202Ed\"\n}\n")
        #expect((try? JSONValue.parse(Data(text.utf8))) == .object(["k": .string("a\u{1B}b\u{9B}c\u{202E}d")]))
    }
}
