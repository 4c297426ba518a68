import Foundation
import TestSupport
import Testing
@testable import KapsoKit

@Suite struct DiagnosticRenderingTests {
    func failure(_ yaml: String, path: String = "spec.yaml", environment: [String: String] = [:]) -> SpecFailure? {
        if case .failure(let failure) = loadSpecs([(path, yaml)], environment: environment) { return failure }
        Issue.record("the spec loaded")
        return nil
    }

    @Test func manyErrorsRenderCompilerStyle() throws {
        let yaml = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/many-errors.yaml"), encoding: .utf8)
        guard let failure = failure(yaml, path: "many-errors.yaml") else { return }
        let rendered = failure.rendered()
        expectGolden(rendered, named: "many-errors.txt")
        #expect(!rendered.contains("canary-header"))
    }

    @Test func syntaxErrorRendersWithCaret() {
        guard let failure = failure("version: 1\nconfigs:\n  - whatsapp_config_id: [\n") else { return }
        expectGolden(failure.rendered(), named: "syntax-error.txt")
    }

    @Test func fileLevelDiagnosticHasNoSnippet() {
        let d = SpecDiagnostic(file: "x.yaml", line: 0, column: 0, message: "no such file or directory")
        #expect(d.rendered() == "x.yaml: error: no such file or directory")
    }

    @Test func longLinesAreWindowedAroundTheColumn() {
        let line = String(repeating: "a", count: 200) + "X" + String(repeating: "b", count: 200)
        let d = SpecDiagnostic(file: "f", line: 3, column: 201, message: "m", sourceLine: line)
        let lines = d.rendered().split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let shownLine = lines[1].dropFirst(" 3 | ".count)
        let caretLine = lines[2].dropFirst(" 3 | ".count)
        #expect(shownLine.count == 122)  // 120 characters and an ellipsis on each side
        let caretOffset = caretLine.count - 1
        #expect(Array(shownLine)[caretOffset] == "X")
    }

    /// Canary secrets written literally, or coming from the environment, never appear in any
    /// rendered error, even when the error sits on the same line.
    @Test(arguments: [
        oneWebhook("secret_key: CANARY-literal-7731\nactive: yes"),
        oneWebhook("x: {secret_key: CANARY-literal-7731, active: yes}"),
        oneWebhook("headers: {X-Api-Key: CANARY-literal-7731, Bad Name: 1}"),
        oneWebhook("headers: {Authorization: \"Bearer CANARY-literal-7731\", X-B: [1]}"),
        oneWebhook("secret_key: ${CANARY_VAR}\nevents: []"),
        oneWebhook("headers: {X-Plain: \"${CANARY_VAR}\"}\nmax_buffer_size: 0", url: "http://${CANARY_VAR}/x"),
        oneWebhook("secret_key: [CANARY-literal-7731]"),
        oneWebhook("secret_key: CANARY-literal-7731 :bad: yaml: here"),
    ])
    func secretsNeverAppearInErrors(_ yaml: String) {
        guard let failure = failure(yaml, environment: ["CANARY_VAR": "CANARY-env-5511"]) else { return }
        let rendered = failure.rendered()
        #expect(!rendered.contains("CANARY-literal-7731"), "\(rendered)")
        #expect(!rendered.contains("CANARY-env-5511"), "\(rendered)")
        #expect(!failure.description.contains("CANARY-"))
    }

    @Test func referencesStayVisibleInSnippets() {
        #expect(Sensitivity.redactSourceLine("  secret_key: ${A_SECRET}  # from CI") == "  secret_key: ${A_SECRET}  # from CI")
        #expect(Sensitivity.redactSourceLine("  Authorization: \"Bearer ${TOKEN}\"") == "  Authorization: \"Bearer ${TOKEN}\"")
        #expect(Sensitivity.redactSourceLine("  secret_key: hunter2") == "  secret_key: <redacted>")
        #expect(Sensitivity.redactSourceLine("  url: https://a.example.com") == "  url: https://a.example.com")
        #expect(Sensitivity.redactSourceLine("  \"X-Api-Key\": abc") == "  \"X-Api-Key\": <redacted>")
    }

    @Test func sensitiveHeaderNames() {
        for name in ["Authorization", "X-Api-Key", "x-auth-token", "Cookie", "X-Signature", "X-Client-Secret", "Proxy-Authorization"] {
            #expect(Sensitivity.isSensitiveHeaderName(name), "\(name)")
        }
        for name in ["X-Source", "X-Team", "Content-Type", "X-Env"] {
            #expect(!Sensitivity.isSensitiveHeaderName(name), "\(name)")
        }
    }
}
