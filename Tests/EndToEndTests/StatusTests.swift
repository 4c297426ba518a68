import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

private let okID = "11111111-1111-4111-8111-111111111111"
private let badID = "22222222-2222-4222-8222-222222222222"
private let pausedID = "33333333-3333-4333-8333-333333333333"
private let idleID = "44444444-4444-4444-8444-444444444444"

/// One webhook of each state: healthy (250 delivered, more than one page), failing (5 of 10
/// failed), paused (inactive on the server, wanted active, 30 failures), idle (nothing in the
/// period: its only delivery is 2 days old), missing (declared, not on the server).
private func statusSeed() -> SimulatorSeed {
    func hook(_ id: String, _ path: String, active: Bool = true) -> JSONValue {
        seedHook(id, "https://hooks.example.com/\(path)?token=\(tokenCanary)", events: ["whatsapp.message.received"], active: active)
    }
    return SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, name: "support", webhooks: [
        hook(okID, "ok"), hook(badID, "bad"), hook(pausedID, "paused", active: false), hook(idleID, "idle"),
    ])], deliveries: [
        SeedDelivery(webhookID: okID, status: "delivered", responseStatus: 200, count: 250),
        SeedDelivery(webhookID: badID, status: "failed", responseStatus: 500, event: "whatsapp.message.received", count: 5),
        SeedDelivery(webhookID: badID, status: "delivered", responseStatus: 200, secondsAgo: 600, count: 5),
        SeedDelivery(webhookID: badID, status: "pending", secondsAgo: 5),
        SeedDelivery(webhookID: pausedID, status: "failed", responseStatus: 502, count: 30),
        SeedDelivery(webhookID: idleID, status: "failed", responseStatus: 500, secondsAgo: 2 * 86_400),
    ])
}

private let statusSpec = """
version: 1
defaults:
  secret_key: ${SECRET}
  events: [whatsapp.message.received]
  active: true
configs:
  - whatsapp_config_id: \(supportConfig)
    name: support
    webhooks:
      - url: https://hooks.example.com/ok?token=${TOKEN}
      - url: https://hooks.example.com/bad?token=${TOKEN}
      - url: https://hooks.example.com/paused?token=${TOKEN}
      - url: https://hooks.example.com/idle?token=${TOKEN}
      - url: https://hooks.example.com/missing?token=${TOKEN}

"""

@Suite struct StatusTests {
    /// Every state, in every format, with the exit code 2 and no secret anywhere; the legacy spec
    /// reads the Platform API's delivery history of the same server (`/api/v1` → `/platform/v1`);
    /// each webhook costs one request per page read, bounded.
    @Test func everyStateInEveryFormat() async throws {
        try await withScenario(seed: statusSeed(), spec: statusSpec) { simulator, dir, env in
            let text = try await runKapsoctl(["status"], environment: env, directory: dir)
            #expect(text.status == 2, "\(text.stderr)")
            let masked = "https://hooks.example.com/%@?token=${TOKEN}"
            func url(_ path: String) -> String { masked.replacingOccurrences(of: "%@", with: path) }
            #expect(text.stdout.contains("Config \(supportConfig) (support)\n  healthy  \(url("ok")) [id \(okID)]\n           250 delivered, 0 failed, 0 pending\n"), "\(text.stdout)")
            #expect(text.stdout.contains("  failing  \(url("bad")) [id \(badID)]\n           5 delivered, 5 failed, 1 pending\n           last failure "), "\(text.stdout)")
            #expect(text.stdout.contains(": HTTP 500, whatsapp.message.received\n"))
            #expect(text.stdout.contains("  paused   \(url("paused")) [id \(pausedID)]\n           0 delivered, 30 failed, 0 pending\n"))
            #expect(text.stdout.contains(DeliveryHealth.pausedAdvice))
            #expect(text.stdout.contains("  idle     \(url("idle")) [id \(idleID)]\n           0 delivered, 0 failed, 0 pending\n"))
            #expect(text.stdout.contains("  missing  \(url("missing"))\n           declared but not on the server"))
            // 3 pages for 250 deliveries, 1 for each other webhook on the server, none for the missing one.
            #expect(text.stdout.hasSuffix("Status (24h): 1 healthy, 1 idle, 1 failing, 1 paused, 1 missing — 6 requests for the deliveries.\n"), "\(text.stdout)")
            let reads = await simulator.store.journal().filter { $0.path == "/platform/v1/webhook_deliveries" }
            #expect(reads.count == 6)
            #expect(reads.allSatisfy { $0.query.contains("period=24h") && $0.query.contains("limit=100") })
            #expect(await simulator.writes().isEmpty)

            let json = try await runKapsoctl(["status", "--format", "json"], environment: env, directory: dir)
            #expect(json.status == 2)
            let document = try JSONValue.parse(Data(json.stdout.utf8))
            #expect(document["format_version"] == .int(1) && document["period"] == .string("24h"))
            #expect(document["summary"]?["healthy"] == .int(2) && document["summary"]?["unhealthy"] == .int(3))
            guard case .array(let items)? = document["webhooks"] else { Issue.record("no webhooks"); return }
            #expect(items.map { $0["state"] } == ["healthy", "failing", "paused", "idle", "missing"].map(JSONValue.string))
            #expect(items[1]["last_failure"]?["response_status"] == .int(500))
            #expect(items[4]["webhook_id"] == .null && items[0]["scope"] == .string("config") && items[0]["config_id"] == .string(supportConfig))

            // The document passes its schema (schemas/status.v1.schema.json).
            if let tool = checkJSONSchema(packageRoot: packageRoot) {
                try json.stdout.write(to: dir.appendingPathComponent("status.json"), atomically: true, encoding: .utf8)
                let checked = try await tool.check(["--schemafile", packageRoot.appendingPathComponent("schemas/status.v1.schema.json").path,
                                                       dir.appendingPathComponent("status.json").path])
                #expect(checked.status == 0, "\(checked.output)")
            } else {
                Issue.record(Comment(rawValue: missingCheckJSONSchema))
            }

            let markdown = try await runKapsoctl(["status", "--format", "markdown"], environment: env, directory: dir)
            #expect(markdown.stdout.contains("| ❌ paused | `\(url("paused"))` | 0 | 30 | 0 | `last failure "), "\(markdown.stdout)")
            #expect(markdown.stdout.contains("| ✅ healthy | `\(url("ok"))` | 250 | 0 | 0 |  |"))

            // Annotations at each unhealthy webhook's declaration (webhooks.yaml, lines 11-14).
            let github = try await runKapsoctl(["status", "--format", "github"], environment: env, directory: dir)
            let annotations = github.stdout.split(separator: "\n").filter { $0.hasPrefix("::error ") }
            #expect(annotations.count == 3, "\(github.stdout)")
            #expect(annotations.contains { $0.hasPrefix("::error file=webhooks.yaml,line=11,col=9,title=kapsoctl status::\(url("bad")) is failing") })
            #expect(annotations.contains { $0.hasPrefix("::error file=webhooks.yaml,line=14,col=9,title=kapsoctl status::\(url("missing")) is missing") })
            #expect(github.stdout.split(separator: "\n").last?.hasPrefix("::warning title=kapsoctl status::Status (24h): ") == true)
            expectNoCanary(text.stdout, text.stderr, json.stdout, markdown.stdout, github.stdout)

            // One config, one state: healthy and idle only exit 0.
            try statusSpec.replacingOccurrences(of: "      - url: https://hooks.example.com/bad?token=${TOKEN}\n", with: "")
                .replacingOccurrences(of: "      - url: https://hooks.example.com/paused?token=${TOKEN}\n", with: "")
                .replacingOccurrences(of: "      - url: https://hooks.example.com/missing?token=${TOKEN}\n", with: "")
                .write(to: dir.appendingPathComponent("calm.yaml"), atomically: true, encoding: .utf8)
            let calm = try await runKapsoctl(["status", "-f", "calm.yaml"], environment: env, directory: dir)
            #expect(calm.status == 0, "\(calm.stdout)\(calm.stderr)")
            // Over 7 days the idle one's 2-day-old failure counts: 1 of 1 failed.
            let week = try await runKapsoctl(["status", "-f", "calm.yaml", "--period", "7d"], environment: env, directory: dir)
            #expect(week.status == 2)
            #expect(week.stdout.contains("  failing  \(url("idle"))"), "\(week.stdout)")
        }
    }

    /// The request bound: with `--max-pages 1`, 250 deliveries are read as "at least 100", and —
    /// since the page read holds no failure while there are more — one more request asks for the
    /// last failure. A threshold makes 5 of 10 failed healthy.
    @Test func pagingIsBoundedAndSaidSo() async throws {
        try await withScenario(seed: statusSeed(), spec: statusSpec) { simulator, dir, env in
            await simulator.store.clearJournal()
            let bounded = try await runKapsoctl(["status", "--max-pages", "1", "--max-failure-rate", "0.5", "--config", supportConfig],
                                               environment: env, directory: dir)
            #expect(bounded.stdout.contains("healthy  https://hooks.example.com/ok?token=${TOKEN} [id \(okID)]\n           at least 100 delivered, at least 0 failed, 0 pending\n"), "\(bounded.stdout)")
            #expect(bounded.stdout.contains("  healthy  https://hooks.example.com/bad?token=${TOKEN}"), "5 of 10 is not above 50 %: \(bounded.stdout)")
            let reads = await simulator.store.journal().filter { $0.path == "/platform/v1/webhook_deliveries" }
            #expect(reads.count == 5, "\(reads.map(\.query))")
            #expect(reads.filter { $0.query.contains("errors_only=true") }.count == 1)
            let refused = try await runKapsoctl(["status", "--period", "1h"], environment: env, directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("--period must be 24h, 7d or 30d"))
        }
    }

    /// `plan --health`: the one webhook the server has inactive while the spec wants it active costs
    /// one request, and its plan line says Kapso paused it (in text, json and a saved plan's show);
    /// without `--health` the plan reads no delivery and keeps the generic note.
    @Test func planWithHealthSaysWhatKapsoPaused() async throws {
        try await withScenario(seed: statusSeed(), spec: statusSpec) { simulator, dir, env in
            let plain = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(plain.stdout.contains(FieldChange.pausedNote), "\(plain.stdout)")
            #expect(await simulator.store.journal().filter { $0.path == "/platform/v1/webhook_deliveries" }.isEmpty)
            let health = try await runKapsoctl(["plan", "--health", "--out", "plan.json"], environment: env, directory: dir)
            #expect(health.status == 0, "\(health.stderr)")
            #expect(health.stdout.contains("active: false → true  (paused by Kapso: its deliveries were failing (last failure "), "\(health.stdout)")
            #expect(health.stdout.contains("HTTP 502); fix the receiver and prove it with 'kapsoctl verify' before applying resumes it)"))
            let reads = await simulator.store.journal().filter { $0.path == "/platform/v1/webhook_deliveries" }
            #expect(reads.count == 1 && reads[0].query.contains("webhook_id=\(pausedID)") && reads[0].query.contains("errors_only=true"))
            let show = try await runKapsoctl(["show", "plan.json"], directory: dir)
            #expect(show.stdout == health.stdout)
            let json = try await runKapsoctl(["plan", "--health", "--format", "json"], environment: env, directory: dir)
            #expect(json.stdout.contains("\"note\": \"paused by Kapso: "), "\(json.stdout)")
            expectNoCanary(health.stdout, json.stdout, show.stdout)
        }
    }

    /// A Platform spec: numbers and the project, read on its own API; a replace is judged on the
    /// webhook the server has. Under injected 429s the history is read as the rest is (retried).
    @Test func aPlatformSpecAndAServerThatThrottles() async throws {
        var seed = platformSeed()
        seed.deliveries = [SeedDelivery(webhookID: versionedID, status: "delivered", responseStatus: 200, count: 4),
                           SeedDelivery(webhookID: projectID, status: "failed", responseStatus: 503, count: 2)]
        var faults = FaultPlan()
        faults.rateLimitFirst = 3
        faults.retryAfterSeconds = 0
        try await withScenario(seed: seed, spec: platformSpec, faults: faults) { simulator, dir, env in
            let env = platformEnvironment(env)
            let result = try await runKapsoctl(["status", "--format", "json"], environment: env, directory: dir)
            #expect(result.status == 2, "\(result.stderr)")
            let document = try JSONValue.parse(Data(result.stdout.utf8))
            guard case .array(let items)? = document["webhooks"] else { Issue.record("no webhooks"); return }
            let byURL = Dictionary(items.compactMap { item -> (String, JSONValue)? in
                guard case .string(let url)? = item["url"] else { return nil }
                return (url, item)
            }) { first, _ in first }
            #expect(byURL["https://hooks.example.com/a"]?["state"] == .string("healthy"))
            #expect(byURL["https://hooks.example.com/a"]?["phone_number_id"] == .string(supportNumber))
            #expect(byURL["https://ops.example.com/project"]?["state"] == .string("failing"))
            #expect(byURL["https://ops.example.com/project"]?["scope"] == .string("project"))
            #expect(byURL["https://hooks.example.com/new"]?["state"] == .string("missing"))
            #expect(byURL["https://hooks.example.com/meta-raw"]?["state"] == .string("idle"), "a replace is judged on the server's webhook")
            #expect(await simulator.store.journal().contains { $0.status == 429 }, "the fault was injected")
            expectNoCanary(result.stdout, result.stderr)
        }
    }

    /// The history is the server's text: a hostile event name (a terminal escape, a workflow
    /// command, markdown and HTML) is shown escaped in every format and starts no command.
    @Test func hostileHistoryTextIsEscaped() async throws {
        var seed = statusSeed()
        let hostile = "\u{1B}[31mred\n::error::pwned <img src=x> [link](https://evil.example.com) |"
        seed.deliveries = [SeedDelivery(webhookID: badID, status: "failed", responseStatus: 500, event: hostile, count: 3)]
        try await withScenario(seed: seed, spec: statusSpec) { _, dir, env in
            for format in ["text", "markdown", "github", "json"] {
                let result = try await runKapsoctl(["status", "--format", format], environment: env, directory: dir)
                #expect(result.status == 2, "\(format): \(result.stderr)")
                #expect(!result.stdout.contains("\u{1B}"), "\(format): a raw escape")
                let lines = result.stdout.split(separator: "\n")
                #expect(!lines.contains { $0.hasPrefix("::error::pwned") }, "\(format): a workflow command from the server")
                if format == "markdown" {
                    // Server text only inside code spans, where markdown and HTML are literal.
                    let outside = result.stdout.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                        .filter { $0.offset % 2 == 0 }.map(\.element).joined()
                    #expect(!outside.contains("<img") && !outside.contains("](https://evil") && !outside.contains("pwned"), "\(result.stdout)")
                }
                if format == "json" {
                    let document = try JSONValue.parse(Data(result.stdout.utf8))
                    guard case .array(let items)? = document["webhooks"] else { Issue.record("no webhooks"); continue }
                    #expect(items.contains { $0["last_failure"]?["event"] == .string(hostile) }, "JSON keeps the server's text, escaped by JSON")
                }
            }
        }
    }

    /// At many webhooks the cost is one request each (a page holds all of a quiet webhook's
    /// deliveries), run `--parallelism` at once.
    @Test func manyWebhooksCostOneRequestEach() async throws {
        let count = 60
        let ids = (0..<count).map { String(format: "66666666-6666-4666-8666-%012d", $0) }
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: ids.enumerated().map { index, id in
            seedHook(id, "https://hooks.example.com/\(index)", events: ["whatsapp.message.received"])
        })], deliveries: ids.map { SeedDelivery(webhookID: $0, status: "delivered", responseStatus: 200, count: 3) })
        var spec = "version: 1\ndefaults: {secret_key: \"${SECRET}\", events: [whatsapp.message.received]}\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
        for index in 0..<count { spec += "      - url: https://hooks.example.com/\(index)\n" }
        try await withScenario(seed: seed, spec: spec) { simulator, dir, env in
            let result = try await runKapsoctl(["status", "--format", "json"], environment: env, directory: dir)
            #expect(result.status == 0, "\(result.stderr)")
            let document = try JSONValue.parse(Data(result.stdout.utf8))
            #expect(document["summary"]?["requests"] == .int(count) && document["summary"]?["healthy"] == .int(count))
            #expect(await simulator.store.journal().filter { $0.path == "/platform/v1/webhook_deliveries" }.count == count)
        }
    }
}
