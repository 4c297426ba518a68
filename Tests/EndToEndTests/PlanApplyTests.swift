import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

@Suite struct PlanApplyTests {
    @Test func planReportsEveryKindOfChangeInEveryFormatAndNeverWrites() async throws {
        try await withScenario { simulator, dir, env in
            let text = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(text.status == 0, "\(text.stderr)")
            expectGolden(text.stdout, named: "scenario-plan.txt")
            #expect(text.stdout.hasSuffix("Plan: 1 to create, 2 to update, 1 to delete, 150 unchanged, 1 unmanaged.\n"))

            let markdown = try await runKapsoctl(["plan", "--format", "markdown"], environment: env, directory: dir)
            #expect(markdown.status == 0)
            expectGolden(markdown.stdout, named: "scenario-plan.md")

            let json = try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir)
            #expect(json.status == 0)
            #expect(json.stderr.isEmpty)
            let document = try JSONValue.parse(Data(json.stdout.utf8))
            #expect(document["format_version"] == .int(2))
            #expect(document["summary"] == .object(["create": .int(1), "update": .int(2), "delete": .int(1),
                                                    "unchanged": .int(150), "unmanaged": .int(1), "ignored": .int(0)]))
            guard case .array(let changes)? = document["changes"] else { Issue.record("no changes"); return }
            let byAction = Dictionary(grouping: changes) { change -> String in
                if case .string(let action)? = change["action"] { return action }
                return "?"
            }
            #expect(byAction["create"]?.first?["url"] == .string("https://hooks.example.com/missing"))
            #expect(byAction["create"]?.first?["webhook_id"] == .null)
            #expect(byAction["delete"]?.first?["webhook_id"] == .string(goneID))
            #expect(byAction["update"]?.map { $0["webhook_id"] } == [.string(changedID), .string("55555555-5555-4555-8555-000000000000")])
            #expect(byAction["update"]?.map { $0["config_name"] } == [.string("support"), .string("bulk")])
            // A changed sensitive header: its value stays hidden, its name is told.
            guard case .array(let fields)? = byAction["update"]?.first?["fields"],
                  let headers = fields.first(where: { $0["name"] == .string("headers") }) else {
                Issue.record("no headers field"); return
            }
            #expect(headers["before"]?["Authorization"] == .string("(sensitive)"))
            #expect(headers["after"]?["Authorization"] == .string("(sensitive)"))
            #expect(headers["header_names"] == .object(["added": .array([]), "removed": .array([]), "changed": .array([.string("Authorization")])]))
            // A paused-looking webhook (active false → true) carries the note in JSON too.
            let active = (byAction["update"] ?? []).compactMap { $0["fields"]?.array }.joined()
                .first { $0["name"] == .string("active") && $0["after"] == .bool(true) }
            #expect(active?["note"] == .string(FieldChange.pausedNote), "\(String(describing: active))")
            expectNoCanary(text.stdout, text.stderr, markdown.stdout, json.stdout)

            let journal = await simulator.store.journal()
            #expect(journal.allSatisfy { $0.method == "GET" }, "plan sent a write")
            // One page for `support`, two for the 151 webhooks of `bulk`, per run.
            #expect(journal.filter { $0.path.hasSuffix("\(bulkConfig)/whatsapp_webhooks") }.map(\.query)
                    == Array(repeating: ["page=1&per_page=100", "page=2&per_page=100"], count: 3).flatMap { $0 })
        }
    }

    @Test func applySendsOneMinimalRequestPerChangeThenConverges() async throws {
        try await withScenario { simulator, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stderr)")
            #expect(apply.stdout.contains("Apply: 4 done, 0 failed, 0 not attempted."))
            expectNoCanary(apply.stdout, apply.stderr)
            let writes = await simulator.writes().sorted { ($0.method, $0.path) < ($1.method, $1.path) }
            #expect(writes.map(\.method) == ["DELETE", "PATCH", "PATCH", "POST"])
            #expect(writes.map(\.path) == [
                "/api/v1/whatsapp_configs/\(bulkConfig)/whatsapp_webhooks/\(goneID)",
                "/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks/\(changedID)",
                "/api/v1/whatsapp_configs/\(bulkConfig)/whatsapp_webhooks/55555555-5555-4555-8555-000000000000",
                "/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks",
            ])
            #expect(writes.map(\.body) == [
                "",
                #"{"whatsapp_webhook":{"active":false,"events":["whatsapp.message.received","whatsapp.message.read"],"headers":{"Authorization":"Bearer \#(tokenCanary)","X-Team":"blue"}}}"#,
                #"{"whatsapp_webhook":{"active":true}}"#,
                #"{"whatsapp_webhook":{"buffer_enabled":true,"buffer_events":["whatsapp.message.received"],"buffer_window_seconds":10,"events":["whatsapp.message.received","whatsapp.message.delivered"],"secret_key":"\#(secretCanary)","url":"https://hooks.example.com/missing"}}"#,
            ])
            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(again.status == 2, "the unmanaged webhook is drift: \(again.stdout)\(again.stderr)")
            #expect(again.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 153 unchanged, 1 unmanaged.\n"))
            let nothing = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(nothing.status == 0)
            #expect(nothing.stdout.hasSuffix("No changes. Nothing to apply.\n"))
            #expect(await simulator.writes().count == 4)
        }
    }

    @Test func detailedExitcodeAndErrors() async throws {
        try await withScenario { simulator, dir, env in
            let changes = try await runKapsoctl(["plan", "--detailed-exitcode", "--format", "json"], environment: env, directory: dir)
            #expect(changes.status == 2)
            var wrongKey = env
            wrongKey["KAPSO_API_KEY"] = "wrong-key"
            let unauthorized = try await runKapsoctl(["plan"], environment: wrongKey, directory: dir)
            #expect(unauthorized.status == 1)
            // Said once for every config (not once per config), naming the variable and where keys are made.
            #expect(unauthorized.stderr == "error: \(APIError.keyHint) (401 Unauthorized on all 2 reads; the first: GET /whatsapp_configs/\(supportConfig)/whatsapp_webhooks?page=1&per_page=100)\n", "\(unauthorized.stderr)")
            #expect(unauthorized.stderr.contains("KAPSO_API_KEY") && unauthorized.stderr.contains("app.kapso.ai"))
            #expect(unauthorized.stdout.isEmpty)
            let exported = try await runKapsoctl(["export"], environment: wrongKey, directory: dir)
            #expect(exported.status == 1)
            #expect(exported.stderr.contains("401 Unauthorized: Unauthorized (\(APIError.keyHint))"), "\(exported.stderr)")
            // A spec of one generation sent to the other's base URL: the mismatch, and the URL it expects.
            var platformURL = env
            platformURL["KAPSO_API_URL"] = KapsoSimulator.platformURL(from: URL(string: env["KAPSO_API_URL"]!)!).absoluteString
            let legacyOnPlatform = try await runKapsoctl(["plan"], environment: platformURL, directory: dir)
            #expect(legacyOnPlatform.status == 1)
            #expect(legacyOnPlatform.stderr.hasPrefix("error: the spec is for the legacy API (no 'api:' or 'api: legacy'), whose base URL is https://app.kapso.ai/api/v1, but the API URL is \(platformURL["KAPSO_API_URL"]!), the Platform API's"), "\(legacyOnPlatform.stderr)")
            #expect(legacyOnPlatform.stderr.split(separator: "\n").count == 1)
            try platformSpec.write(to: dir.appendingPathComponent("platform.yaml"), atomically: true, encoding: .utf8)
            let platformOnLegacy = try await runKapsoctl(["plan", "-f", "platform.yaml"], environment: env, directory: dir)
            #expect(platformOnLegacy.status == 1)
            #expect(platformOnLegacy.stderr.hasPrefix("error: the spec is for the Platform API ('api: platform'), whose base URL is https://api.kapso.ai/platform/v1 (under /platform/v1), but the API URL is \(env["KAPSO_API_URL"]!), the legacy API's"), "\(platformOnLegacy.stderr)")
            var noKey = env
            noKey["KAPSO_API_KEY"] = nil
            let missingKey = try await runKapsoctl(["plan"], environment: noKey, directory: dir)
            #expect(missingKey.status == 1)
            #expect(missingKey.stderr.contains("KAPSO_API_KEY is not set"))
            var publicHTTP = env
            publicHTTP["KAPSO_API_URL"] = "http://api.example.com/api/v1"
            let insecure = try await runKapsoctl(["plan"], environment: publicHTTP, directory: dir)
            #expect(insecure.status == 1)
            #expect(insecure.stderr.contains("must use https"))
            let badSpec = try await runKapsoctl(["plan", "-f", "nope.yaml", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(badSpec.status == 1)
            #expect(await simulator.writes().isEmpty)
        }
    }

    @Test func unknownConfigIsNamed() async throws {
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: 00000000-0000-4000-8000-000000000000\n    webhooks: []\n"
        try await withScenario(spec: spec) { _, dir, env in
            let result = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: config 00000000-0000-4000-8000-000000000000: the server does not know this WhatsApp config"))
            #expect(result.stderr.contains("404 Not Found: WhatsApp config not found"))
        }
    }

    @Test func configFilterLimitsTheRun() async throws {
        try await withScenario { simulator, dir, env in
            let one = try await runKapsoctl(["plan", "--config", supportConfig.uppercased()], environment: env, directory: dir)
            #expect(one.status == 0)
            #expect(one.stdout.hasSuffix("Plan: 1 to create, 1 to update, 0 to delete, 1 unchanged, 1 unmanaged.\n"))
            #expect(await simulator.store.journal().allSatisfy { $0.path.contains(supportConfig) })
            let unknown = try await runKapsoctl(["plan", "--config", "00000000-0000-4000-8000-000000000000"], environment: env, directory: dir)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("--config 00000000-0000-4000-8000-000000000000 is not declared in webhooks.yaml"))
        }
    }

    @Test func applyWithoutATerminalNeedsAutoApprove() async throws {
        try await withScenario { simulator, dir, env in
            let result = try await runKapsoctl(["apply"], environment: env, directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("no terminal to confirm on; pass --auto-approve"))
            #expect(await simulator.writes().isEmpty)
        }
    }

    @Test func deleteGuardRefusesBeforeAnyWrite() async throws {
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: (0..<7).map { i in
            seedHook(String(format: "66666666-6666-4666-8666-%012d", i), "https://old.example.com/\(i)")
        } + [seedHook(changedID, "https://hooks.example.com/changed")])])
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/changed, active: false}\n"
        try await withScenario(seed: seed, spec: spec) { simulator, dir, env in
            let refused = try await runKapsoctl(["apply", "--auto-approve", "--prune"], environment: env, directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("this run would delete 7 webhooks, more than --max-deletes 5; nothing was written. Pass --max-deletes 7 to allow it."))
            #expect(await simulator.writes().isEmpty)
            let allowed = try await runKapsoctl(["apply", "--auto-approve", "--prune", "--max-deletes", "7"], environment: env, directory: dir)
            #expect(allowed.status == 0, "\(allowed.stderr)")
            #expect(await simulator.writes().map(\.method).sorted() == Array(repeating: "DELETE", count: 7) + ["PATCH"])
        }
    }

    @Test func partialFailureExitsThreeAndListsEachWrite() async throws {
        var faults = FaultPlan()
        faults.dropBeforeWriteFirst = 1
        try await withScenario(faults: faults) { _, dir, env in
            // One request at a time in plan order, so the dropped write is the POST, which is
            // never resent (a dropped PATCH would simply be retried).
            let spec = """
            version: 1
            configs:
              - whatsapp_config_id: \(supportConfig)
                webhooks:
                  - {url: https://hooks.example.com/missing, secret_key: s, events: [whatsapp.message.sent]}
                  - {url: https://hooks.example.com/changed, active: false}
            """
            try spec.write(to: dir.appendingPathComponent("partial.yaml"), atomically: true, encoding: .utf8)
            let result = try await runKapsoctl(["apply", "-f", "partial.yaml", "--auto-approve", "--parallelism", "1"],
                                               environment: env, directory: dir)
            #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("FAILED         create https://hooks.example.com/missing in config \(supportConfig)"))
            #expect(result.stdout.contains("re-reading the config shows it was not created"))
            #expect(result.stdout.contains("done           update https://hooks.example.com/changed [id \(changedID)]"))
            #expect(result.stdout.contains("Apply: 1 done, 1 failed, 0 not attempted."))
        }
    }

    @Test func lostAnswerToACreateIsConfirmedNotRepeated() async throws {
        var faults = FaultPlan()
        faults.dropAfterWriteFirst = 1
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/missing, secret_key: s, events: [whatsapp.message.sent]}\n"
        try await withScenario(spec: spec, faults: faults) { simulator, dir, env in
            let result = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("(the answer was lost"))
            #expect(result.stdout.contains("confirmed by re-reading the config)"))
            #expect(await simulator.writes().map(\.method) == ["POST"])
            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            expectConverged(again)
        }
    }

    @Test func ctrlCStopsNewRequestsAndReports() async throws {
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
            + (0..<4).map { "      - {url: https://hooks.example.com/new\($0), secret_key: s, events: [whatsapp.message.sent]}\n" }.joined()
        try await withScenario(spec: spec) { simulator, dir, env in
            // Ctrl-C once the first POST has arrived, while its answer is held back until the
            // binary has said it starts nothing new.
            await simulator.writeAnswers.close()
            let result = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "1"], environment: env,
                                               directory: dir, interrupts: 1,
                                               when: { await simulator.store.waitForJournal { $0.contains(where: \.isWrite) } },
                                               acknowledged: ("no new request starts", { await simulator.writeAnswers.open() }))
            #expect(result.exited)
            #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("Ctrl-C: no new request starts"))
            #expect(result.stdout.contains("Apply: 1 done, 0 failed, 3 not attempted."))
            #expect(result.stdout.contains("not attempted  create https://hooks.example.com/new3"))
            #expect(await simulator.writes().count == 1)
        }
    }

    @Test func ctrlCWhileReadingEndsTheRunWithNothingWritten() async throws {
        var faults = FaultPlan()
        faults.latencyMilliseconds = 3000
        try await withScenario(faults: faults) { simulator, dir, env in
            let result = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir,
                                               interrupts: 1) { await simulator.store.waitForJournal { !$0.isEmpty } }
            #expect(!result.exited)  // ended by SIGINT, as any program at Ctrl-C
            #expect(!result.stdout.contains("Plan:"))  // before the held-back answer arrived
            #expect(await simulator.writes().isEmpty)
        }
    }

    @Test func secondCtrlCExitsAtOnce() async throws {
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/n, secret_key: s, events: [whatsapp.message.sent]}\n"
        try await withScenario(spec: spec) { simulator, dir, env in
            // The write's answer is held back until the binary has gone.
            await simulator.writeAnswers.close()
            let result = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir, interrupts: 2,
                                               when: { await simulator.store.waitForJournal { $0.contains(where: \.isWrite) } },
                                               acknowledged: ("no new request starts", { await simulator.writeAnswers.open() }))
            // Exited on the second Ctrl-C, before the held-back answer and without a report.
            #expect(result.status == 130)
            #expect(!result.stdout.contains("Apply:"))
        }
    }

    @Test func verboseLogsRequestsWithoutTheKey() async throws {
        try await withScenario { _, dir, env in
            let result = try await runKapsoctl(["plan", "--verbose", "--config", supportConfig], environment: env, directory: dir)
            #expect(result.status == 0)
            #expect(result.stderr.contains("kapsoctl: GET /whatsapp_configs/\(supportConfig)/whatsapp_webhooks?page=1&per_page=100 → 200 in "))
            expectNoCanary(result.stdout, result.stderr)
        }
    }

    @Test func outputHasNoColourWithoutATerminal() async throws {
        try await withScenario { _, dir, env in
            let result = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(!result.stdout.contains("\u{1B}["))
        }
    }
}

/// `apply` on a terminal (a pseudo-terminal made by script(1)): it asks, and colours the plan.
@Suite struct TerminalTests {
    @Test func yesAppliesAndTheTerminalGetsColour() async throws {
        try await withScenario { simulator, dir, env in
            var terminal = env
            terminal["TERM"] = "xterm"
            let result = try await runKapsoctl(["apply", "--config", supportConfig], environment: terminal, directory: dir,
                                                    inTerminal: "y\n")
            #expect(result.status == 0, "\(result.stdout)")
            #expect(result.stdout.contains("Apply these changes? [y/N]"))
            #expect(result.stdout.contains("\u{1B}[32m+ \u{1B}[0m"))
            #expect(result.stdout.contains("Apply: 2 done, 0 failed, 0 not attempted."))
            #expect(await simulator.writes().count == 2)
        }
    }

    @Test func anythingButYesWritesNothing() async throws {
        try await withScenario { simulator, dir, env in
            var noColour = env
            noColour["NO_COLOR"] = "1"
            let result = try await runKapsoctl(["apply"], environment: noColour, directory: dir, inTerminal: "n\n")
            #expect(result.status == 1)
            #expect(result.stdout.contains("Not applied. Nothing was written."))
            // NO_COLOR holds on a terminal too, and so does --no-color.
            #expect(!result.stdout.contains("\u{1B}["))
            let flagged = try await runKapsoctl(["apply", "--no-color"], environment: env, directory: dir, inTerminal: "n\n")
            #expect(flagged.status == 1)
            #expect(flagged.stdout.contains("Not applied. Nothing was written."))
            #expect(!flagged.stdout.contains("\u{1B}["))
            let coloured = try await runKapsoctl(["apply"], environment: env, directory: dir, inTerminal: "n\n")
            #expect(coloured.stdout.contains("\u{1B}["), "the check above can fail: on a terminal the plan is coloured")
            #expect(await simulator.writes().isEmpty)
        }
    }
}

@Suite struct OptionTests {
    @Test func apiURLFlagOverridesTheEnvironment() async throws {
        try await withScenario { _, dir, env in
            var unreachable = env
            let real = env["KAPSO_API_URL"]!
            unreachable["KAPSO_API_URL"] = "http://127.0.0.1:9/api/v1"
            let result = try await runKapsoctl(["plan", "--api-url", real, "--config", supportConfig], environment: unreachable, directory: dir)
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    @Test func maskedSecretsAreReportedAndRotatedOnlyOnRequest() async throws {
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
            seedHook(changedID, "https://hooks.example.com/changed", secret: "********"),
        ])])
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/changed, secret_key: \"${SECRET}\"}\n"
        try await withScenario(seed: seed, spec: spec) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(plan.status == 0)
            #expect(plan.stdout.contains("! https://hooks.example.com/changed [id \(changedID)]: secret_key cannot be verified (the server does not reveal it); pass --rotate-secrets to send it"))
            let plain = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(plain.stdout.contains("No changes. Nothing to apply."))
            let rotate = try await runKapsoctl(["apply", "--auto-approve", "--rotate-secrets"], environment: env, directory: dir)
            #expect(rotate.status == 0, "\(rotate.stderr)")
            expectNoCanary(plan.stdout, rotate.stdout, rotate.stderr)
            #expect(await simulator.writes().map(\.body) == [#"{"whatsapp_webhook":{"secret_key":"\#(secretCanary)"}}"#])
        }
    }
}

/// What a cancelled CI job sends: SIGTERM (or SIGHUP), once or twice, and SIGINT then SIGTERM.
@Suite struct ApplySignalTests {
    /// The signals land while the first write's answer is held back, which is let go once the
    /// binary has said it starts nothing new.
    private func scenario(_ signals: [Int32], format: [String] = [], _ check: @Sendable (RunResult, [JournalEntry]) -> Void) async throws {
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
            + (0..<4).map { "      - {url: https://hooks.example.com/new\($0), secret_key: s3cret, events: [whatsapp.message.sent]}\n" }.joined()
        try await withScenario(spec: spec) { simulator, dir, env in
            await simulator.writeAnswers.close()
            let result = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "1"] + format, environment: env, directory: dir,
                                               signals: signals,
                                               when: { await simulator.store.waitForJournal { $0.contains(where: \.isWrite) } },
                                               acknowledged: ("no new request starts", { await simulator.writeAnswers.open() }))
            check(result, await simulator.writes())
        }
    }

    @Test(arguments: [SIGTERM, SIGHUP])
    func aSignalFromCIIsTheFirstCtrlC(_ signal: Int32) async throws {
        // Side by side: each waits out a held-back write of its own simulator.
        async let text: Void = scenario([signal]) { result, writes in
            #expect(result.exited && result.status == 3, "\(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("no new request starts; waiting for those in flight"))
            #expect(result.stdout.contains("Apply: 1 done, 0 failed, 3 not attempted."), "\(result.stdout)")
            #expect(writes.count == 1)
        }
        async let json: Void = scenario([signal], format: ["--format", "json"]) { result, _ in
            #expect(result.status == 3)
            let report = try? JSONValue.parse(Data(result.stdout.utf8))
            #expect(report != nil, "\(result.stdout)")
        }
        _ = try await (text, json)
    }

    /// The runner's escalation: SIGINT, then SIGTERM. The second signal exits at once, saying what
    /// had finished.
    @Test func interruptThenTerminate() async throws {
        try await scenario([SIGINT, SIGTERM]) { result, writes in
            #expect(result.exited && result.status == 143, "\(result.status) \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("SIGTERM again: exiting at once; 0 of 4 writes had finished"), "\(result.stderr)")
            #expect(writes.count == 1)
        }
    }
}
