import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// A server whose strings carry control characters (ESC, BEL, CR, bidirectional overrides): in
/// URLs, ids, header names and values, event names, config names and error texts. None of them may
/// reach the terminal raw, in any output, and export must still write a spec that validates.
@Suite struct HostileServerTests {
    static let evilURL = "https://evil.example.com/\u{1B}[2J\u{07}x"
    static let hooks: JSONValue = .array([
        .object(["id": .string("aaaaaaaa-0000-4000-8000-000000000001"), "url": .string(evilURL), "secret_key": .string("s"),
                 "events": .array([.string("whatsapp.message.received")]), "active": .bool(true),
                 "headers": .object(["X-Evil\u{1B}": .string("v\r\nInjected: 1")]), "created_at": .string("2026-01-01T00:00:00Z")]),
        .object(["id": .string("aaaaaaaa-0000-4000-8000-000000000002"), "url": .string("https://ok.example.com/a"), "secret_key": .string("s"),
                 "events": .array([.string("whatsapp.message.received"), .string("whatsapp.future\u{1B}[31mevent")]),
                 "active": .bool(true), "headers": .object(["X-Note": .string("\u{1B}]0;title\u{07}")]),
                 "created_at": .string("2026-01-01T00:00:01Z")]),
    ])

    /// Lists the two webhooks, one config named with control characters, and answers every write
    /// with a 422 whose text carries them too.
    static func handler(_ request: RawRequest) async -> RawResponse {
        func json(_ status: Int, _ value: JSONValue) -> RawResponse {
            RawResponse(status: status, headers: ["Content-Type": "application/json"], body: value.serialized())
        }
        let meta: JSONValue = .object(["page": .int(1), "per_page": .int(100), "total_pages": .int(1), "total_count": .int(2)])
        switch (request.method, request.path) {
        case ("GET", "/api/v1/whatsapp_configs"):
            return json(200, .object(["data": .array([.object(["id": .string(supportConfig), "name": .string("evil\u{1B}[1m name\u{202E}")])]),
                                      "meta": .object(["page": .int(1), "per_page": .int(100), "total_pages": .int(1), "total_count": .int(1)])]))
        case ("GET", "/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks"):
            return json(200, .object(["data": hooks, "meta": meta]))
        default:
            return json(422, .object(["error": .string("bad \u{1B}[31mthing\r\u{07}"), "message": .string("\u{9B}2J")]))
        }
    }

    static let spec = """
    version: 1
    configs:
      - whatsapp_config_id: \(supportConfig)
        webhooks:
          - url: https://ok.example.com/a
            events: [whatsapp.message.sent]
    """

    /// True when `text` holds a character that a terminal would interpret.
    private func hasRawControl(_ text: String) -> Bool {
        text.unicodeScalars.contains { HumanText.isUnsafe($0, keepNewlines: true) }
    }

    @Test func noOutputCarriesARawControlCharacter() async throws {
        try await withServerSlot {
            let server = try RawHTTPServer(mode: .closeAfter(100), handler: Self.handler)
            defer { server.stop() }
            let dir = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            try Self.spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
            let env = ["KAPSO_API_URL": server.origin.absoluteString + "/api/v1", "KAPSO_API_KEY": apiKey]
            var results: [RunResult] = []
            for command in [["plan"], ["plan", "--format", "markdown"], ["plan", "--format", "json"], ["plan", "--verbose"],
                            ["apply", "--auto-approve", "--retry-budget", "0"], ["export"], ["export", "-o", "exported.yaml"]] {
                let result = try await runKapsoctl(command, environment: env, directory: dir)
                #expect(result.exited)
                #expect(!hasRawControl(result.stdout), "\(command): raw control character on stdout")
                #expect(!hasRawControl(result.stderr), "\(command): raw control character on stderr")
                results.append(result)
            }
            // What the characters became: visible escapes.
            #expect(results[0].stdout.contains("https://evil.example.com/\\u001B[2J\\u0007x"), "\(results[0].stdout)")
            #expect(results[4].status == 1)
            #expect(results[4].stdout.contains("422 Unprocessable Entity: bad \\u001B[31mthing\\u000D\\u0007: \\u009B2J"), "\(results[4].stdout)")

            // Export wrote a spec its own validate accepts, and reported what it left out.
            let export = results[6]
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stderr.contains("warning: not exported, the spec cannot express the server's value: config \(supportConfig): webhook aaaaaaaa-0000-4000-8000-000000000001 left out: 'url' must not contain spaces, line breaks or control characters"),
                    "\(export.stderr)")
            #expect(export.stderr.contains("'events' of webhook aaaaaaaa-0000-4000-8000-000000000002 left out: unknown event 'whatsapp.future\\u001B[31mevent'"), "\(export.stderr)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("exported.yaml"), encoding: .utf8)
            #expect(!hasRawControl(yaml))
            var validateEnv: [String: String] = [:]
            for line in yaml.split(separator: "\n") where line.hasPrefix("#   KAPSO_") {
                validateEnv[String(line.dropFirst(4).prefix { $0 != " " })] = "value"
            }
            let validate = try await runKapsoctl(["validate", "-f", "exported.yaml"], environment: validateEnv, directory: dir)
            #expect(validate.status == 0, "\(validate.stderr)\n\(yaml)")
        }
    }

    /// The spec is the other source: a config name and an unknown key carrying escape sequences
    /// reach no output raw — text plan, apply report, errors; a header value carrying them is an
    /// error (it would go on the wire).
    @Test func specStringsAreEscapedToo() async throws {
        let spec = """
        version: 1
        configs:
          - whatsapp_config_id: \(supportConfig)
            name: "evil\\e[2J name\\a"
            webhooks:
              - url: https://hooks.example.com/changed
                active: false
        """
        try await withScenario(spec: spec) { _, dir, env in
            let plan = try await runKapsoctl(["plan"], environment: env, directory: dir)
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            for result in [plan, apply] {
                #expect(result.status == 0, "\(result.stderr)")
                #expect(!hasRawControl(result.stdout) && !hasRawControl(result.stderr))
            }
            #expect(plan.stdout.contains("Config \(supportConfig) (evil\\u001B[2J name\\u0007)"), "\(plan.stdout)")
            try "version: 1\nconfigs: []\n\"bad\\e[2Jkey\": 1\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
            let invalid = try await runKapsoctl(["validate", "-f", "bad.yaml"], environment: env, directory: dir)
            #expect(invalid.status == 1)
            #expect(!hasRawControl(invalid.stderr))
            #expect(invalid.stderr.contains("unknown key 'bad\\u001B[2Jkey'"), "\(invalid.stderr)")
            try oneHeader("\"\\e]0;title\\a\"").write(to: dir.appendingPathComponent("header.yaml"), atomically: true, encoding: .utf8)
            let header = try await runKapsoctl(["validate", "-f", "header.yaml"], environment: env, directory: dir)
            #expect(header.status == 1 && !hasRawControl(header.stderr))
            #expect(header.stderr.contains("header 'X-Note' must not contain line breaks or other control characters"), "\(header.stderr)")
        }
    }
}

private func oneHeader(_ value: String) -> String {
    "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - url: https://hooks.example.com/a\n        headers: {X-Note: \(value)}\n"
}
