import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// A spec of `count` new webhooks in the support config (secret from `${SECRET}`), after `extra`.
private func creates(_ count: Int, extra: String = "") -> String {
    var yaml = "version: 1\n\(extra)defaults: {secret_key: \"${SECRET}\", events: [whatsapp.message.received]}\nconfigs:\n"
    yaml += "  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
    for i in 0..<count { yaml += "      - url: https://hooks.example.com/new/\(i)\n" }
    return yaml
}

private let emptySupport = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, name: "support", webhooks: [])])

@Suite struct ProgressAndReportTests {
    /// Off a terminal (a CI log): a line every KAPSOCTL_PROGRESS_SECONDS at most — the reads, the
    /// wait on a rate limit with its seconds, then writes done of the total, never going back.
    @Test func progressLinesInALog() async throws {
        var faults = FaultPlan()
        faults.rateLimitFirst = 1
        faults.retryAfterSeconds = 1
        faults.writeLatencyMilliseconds = 100
        try await withScenario(seed: emptySupport, spec: creates(12), faults: faults) { _, dir, env in
            var runEnv = env
            runEnv["KAPSOCTL_PROGRESS_SECONDS"] = "0.2"
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "2"], environment: runEnv, directory: dir)
            #expect(apply.status == 0, "\(apply.stderr)")
            let lines = apply.stderr.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.hasPrefix("kapsoctl: reading the server: 0 requests answered; waiting 1 s on the rate limit (429)") }, "\(lines)")
            let done = lines.compactMap { line -> Int? in
                guard line.hasPrefix("kapsoctl: applying: "), line.contains("/12 writes done") else { return nil }
                return Int(line.dropFirst("kapsoctl: applying: ".count).prefix { $0.isNumber })
            }
            #expect(done.count >= 2, "\(lines)")
            #expect(done == done.sorted(), "progress went back: \(done)")
            #expect(Set(lines).count == lines.count, "a line repeated although nothing changed")
            // The report on stdout is untouched by progress.
            #expect(apply.stdout.hasSuffix("Apply: 12 done, 0 failed, 0 not attempted.\n"))
            #expect(!apply.stdout.contains("kapsoctl: applying"))
        }
    }

    /// Issue: `kapsoctl-bench --long` crashed (SIGSEGV) at the first progress line of an apply that
    /// waited on the rate limit: the progress state sat in a `Mutex` in a `static let`, which did
    /// not exclude, and the line was rebuilt while requests rewrote it. Progress ticking as fast as
    /// it can while 16 requests in flight report 429s.
    @Test func progressUnderContention() async throws {
        var faults = FaultPlan()
        faults.rateLimitFraction = 0.3
        faults.retryAfterSeconds = 0
        try await withScenario(seed: emptySupport, spec: creates(300), faults: faults) { _, dir, env in
            var runEnv = env
            runEnv["KAPSOCTL_PROGRESS_SECONDS"] = "0.0005"
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "16"], environment: runEnv, directory: dir)
            #expect(apply.exited && apply.status == 0, "\(apply.status) \(apply.stderr.suffix(800))")
            #expect(apply.stdout.hasSuffix("Apply: 300 done, 0 failed, 0 not attempted.\n"))
        }
    }

    /// On a terminal: one live line redrawn in place and cleared before the report.
    @Test func liveLineOnATerminal() async throws {
        var faults = FaultPlan()
        faults.writeLatencyMilliseconds = 150
        try await withScenario(seed: emptySupport, spec: creates(8), faults: faults) { _, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "2"], environment: env, directory: dir, inTerminal: "")
            #expect(apply.status == 0, "\(apply.stdout)")
            #expect(apply.stdout.contains("\rkapsoctl: applying: "), "\(apply.stdout.suffix(1500))")
            // Blanked and the cursor returned (no line break) before the first line of the report.
            #expect(apply.stdout.contains(String(repeating: " ", count: 20) + "\r  done           create https://hooks.example.com/new/0"), "\(apply.stdout.suffix(1500))")
            #expect(!apply.stdout.contains("writes done\r\n"))
            #expect(!apply.stdout.contains("\u{1B}[K"), "no escape sequence is needed")
        }
    }

    /// `apply --format json`: stdout is one document (the plan went to stderr) with each write's
    /// action, ids, URL, outcome, final status and attempts — checked against the server's own
    /// journal, with 429s on a share of the requests; a write the server refuses is failed, 422.
    @Test func jsonReportForPipelines() async throws {
        var faults = FaultPlan()
        faults.rateLimitFraction = 0.3
        faults.retryAfterSeconds = 0
        faults.seed = 7
        let spec = creates(10, extra: "extra_events: [whatsapp.message.reacted]\n")
            + "      - {url: https://hooks.example.com/refused, events: [whatsapp.message.reacted]}\n"
        try await withScenario(seed: emptySupport, spec: spec, faults: faults) { simulator, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--format", "json"], environment: env, directory: dir)
            #expect(apply.status == 3, "\(apply.stderr)")
            #expect(apply.stderr.contains("Plan: 11 to create"))
            expectNoCanary(apply.stdout, apply.stderr)
            let report = try JSONValue.parse(Data(apply.stdout.utf8))
            #expect(report["kind"] == .string("kapsoctl-apply-report"))
            #expect(report["format_version"] == .int(1))
            #expect(report["exit_code"] == .int(3))
            #expect(report["summary"] == .object(["done": .int(10), "failed": .int(1), "unknown": .int(0), "not_attempted": .int(0)]))
            guard case .array(let writes)? = report["writes"] else { Issue.record("no writes"); return }
            #expect(writes.count == 11)
            let posts = await simulator.store.journal().filter { $0.method == "POST" }
            var retried = 0
            for write in writes {
                guard case .string(let url)? = write["url"] else { Issue.record("no url"); continue }
                let sent = posts.filter { $0.body.contains("\"\(url)\"") }
                #expect(write["attempts"] == .int(sent.count), "\(url): attempts differ from the journal")
                #expect(write["status"] == sent.last.map { .int($0.status) }, "\(url)")
                #expect(write["action"] == .string("create"))
                #expect(write["config_id"] == .string(supportConfig))
                #expect(write["webhook_id"] == .null)
                if sent.count > 1 { retried += 1 }
                if url.hasSuffix("/refused") {
                    #expect(write["outcome"] == .string("failed"))
                    #expect(write["status"] == .int(422))
                    #expect(write["created_id"] == .null)
                    guard case .string(let detail)? = write["detail"] else { Issue.record("no detail"); continue }
                    #expect(detail.contains("422"), "\(detail)")
                } else {
                    #expect(write["outcome"] == .string("done"))
                    #expect(write["status"] == .int(201))
                    guard case .string(let created)? = write["created_id"] else { Issue.record("no created id"); continue }
                    #expect(write["detail"] == .string("created with id \(created)"))
                }
            }
            #expect(retried > 0, "no write was rate limited: the attempts were not exercised")

            // Nothing left to do: still one document.
            await simulator.store.setFaults(.none)
            try creates(10).write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
            let again = try await runKapsoctl(["apply", "--auto-approve", "--format", "json"], environment: env, directory: dir)
            #expect(again.status == 0, "\(again.stderr)")
            let empty = try JSONValue.parse(Data(again.stdout.utf8))
            #expect(empty["writes"] == .array([]))
            #expect(empty["exit_code"] == .int(0))
        }
    }
}
