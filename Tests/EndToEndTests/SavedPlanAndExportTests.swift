import Foundation
import KapsoKit
import KapsoSimulator
import Testing

@Suite struct SavedPlanCommandTests {
    @Test func savedPlanAppliesOnceAndThenIsStale() async throws {
        try await withScenario { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            let file = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
            expectNoCanary(file)
            #expect(await simulator.writes().isEmpty)

            let apply = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("Applying the plan saved in plan.json"))
            #expect(apply.stdout.contains("Apply: 4 done, 0 failed, 0 not attempted."))
            expectNoCanary(apply.stdout, apply.stderr)
            #expect(await simulator.writes().count == 4)

            let again = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(again.status == 1)
            #expect(again.stderr.contains("was changed on the server since the plan"))
            #expect(again.stderr.contains("the saved plan is stale; nothing was written"))
            #expect(await simulator.writes().count == 4)
            let converged = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            expectConverged(converged)
        }
    }

    @Test func changedSecretOrServerRefusesTheSavedPlan() async throws {
        try await withScenario { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(plan.status == 0)
            var rotated = env
            rotated["TOKEN"] = "another-token"
            let refused = try await runKapsoctl(["apply", "plan.json"], environment: rotated, directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("the secret Bearer ${TOKEN} of https://hooks.example.com/changed no longer matches"))
            #expect(!refused.stderr.contains("another-token"))
            var otherServer = env
            otherServer["KAPSO_API_URL"] = "http://127.0.0.1:9/api/v1"
            let wrongServer = try await runKapsoctl(["apply", "plan.json"], environment: otherServer, directory: dir)
            #expect(wrongServer.status == 1)
            #expect(wrongServer.stderr.contains("the plan was made against"))
            let mixed = try await runKapsoctl(["apply", "plan.json", "--prune"], environment: env, directory: dir)
            #expect(mixed.status == 1)
            #expect(mixed.stderr.contains("a saved plan already fixes the spec"))
            // Someone edits a webhook on the server after the review.
            let client = KapsoClient(baseURL: URL(string: env["KAPSO_API_URL"]!)!, apiKey: apiKey, transport: CurlTransport())
            _ = try await client.updateWebhook(in: .config(supportConfig), id: unchangedID, attributes: WebhookAttributes([.inactivityMinutes: 9]))
            let stale = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("webhook \(unchangedID) (https://hooks.example.com/unchanged) was changed on the server since the plan"))
            #expect(await simulator.writes().count == 1)
        }
    }

    /// Issue 19: the reviewed plan is applied only to the spec it was made from. A saved plan
    /// records the spec files' fingerprints; after an edit to webhooks.yaml (a later commit), a
    /// file added to a spec directory, or a file removed, `apply PLAN.json` refuses in words
    /// before it reads or writes anything. `plan --out` ends by saying how to apply the plan.
    @Test func aPlanIsAppliedOnlyToTheSpecItWasMadeFrom() async throws {
        try await withScenario { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stderr.hasSuffix("Saved the plan to plan.json. To make exactly these changes: kapsoctl apply plan.json\n"), "\(plan.stderr)")
            let spec = dir.appendingPathComponent("webhooks.yaml")
            let original = try String(contentsOf: spec, encoding: .utf8)
            try (original + "# a later commit\n").write(to: spec, atomically: true, encoding: .utf8)
            let requests = await simulator.store.journal().count
            let edited = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(edited.status == 1)
            #expect(edited.stderr.contains("error: webhooks.yaml has changed since the plan was made"), "\(edited.stderr)")
            #expect(edited.stderr.contains("the plan was made from other spec files than these (for another commit?); nothing was written"))
            #expect(await simulator.store.journal().count == requests, "nothing is read before the spec is checked")
            try original.write(to: spec, atomically: true, encoding: .utf8)

            // A directory of specs: a file added, then one removed.
            let specs = dir.appendingPathComponent("specs")
            try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: spec, to: specs.appendingPathComponent("a.yaml"))
            try "version: 1\nconfigs: []\n".write(to: specs.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            let fromDirectory = try await runKapsoctl(["plan", "-f", "specs", "--out", "dir plan.json"], environment: env, directory: dir)
            #expect(fromDirectory.status == 0, "\(fromDirectory.stderr)")
            #expect(fromDirectory.stderr.contains("kapsoctl apply 'dir plan.json'"), "\(fromDirectory.stderr)")
            try "version: 1\nconfigs: []\n".write(to: specs.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(at: specs.appendingPathComponent("b.yaml"))
            let changed = try await runKapsoctl(["apply", "dir plan.json"], environment: env, directory: dir)
            #expect(changed.status == 1)
            #expect(changed.stderr.contains("error: specs/c.yaml was not among the spec files the plan was made from"), "\(changed.stderr)")
            #expect(changed.stderr.contains("specs/b.yaml was a spec file of the plan and is gone"), "\(changed.stderr)")
            try FileManager.default.removeItem(at: specs.appendingPathComponent("c.yaml"))
            try "version: 1\nconfigs: []\n".write(to: specs.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)

            // Unchanged again: applied, with the report in words on stdout and as JSON in a file.
            let applied = try await runKapsoctl(["apply", "dir plan.json", "--report", "report.json"], environment: env, directory: dir)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            #expect(applied.stdout.contains("Apply: 4 done, 0 failed, 0 not attempted."))
            let report = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("report.json")))
            guard case .array(let entries)? = report["writes"] else { Issue.record("no writes in \(report)"); return }
            #expect(entries.count == 4)
            expectNoCanary(applied.stdout, applied.stderr, try String(contentsOf: dir.appendingPathComponent("report.json"), encoding: .utf8))
            #expect(await simulator.writes().count == 4)

            // A spec where the plan file goes: a hint at -f, and nothing read.
            let mistaken = try await runKapsoctl(["apply", "specs/a.yaml"], environment: env, directory: dir)
            #expect(mistaken.status == 1)
            #expect(mistaken.stderr == "error: specs/a.yaml: not a kapsoctl plan file (it is a spec, not JSON)\nhint: to plan and apply a spec, give it with -f: kapsoctl apply -f specs/a.yaml\n", "\(mistaken.stderr)")
            // A spec read from standard input cannot be checked again: no saved plan of it.
            let piped = try await runKapsoctl(["plan", "-f", "-", "--out", "stdin.json"], environment: env, directory: dir, input: Data(original.utf8))
            #expect(piped.status == 1)
            #expect(piped.stderr.contains("-f - is not a file. Write the spec to a file and plan that."), "\(piped.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("stdin.json").path))
        }
    }

    /// `kapsoctl show PLAN.json` renders the saved plan offline — no API key, no server — exactly
    /// as `plan` printed it, in text, json and markdown, for both API generations (a changed
    /// sensitive header, a replace, an unmanaged webhook among the changes); neither the file nor
    /// what show prints holds a secret.
    @Test func showRendersTheSavedPlanAsPlanPrintedIt() async throws {
        for platform in [false, true] {
            try await withScenario(seed: platform ? platformSeed() : scenarioSeed(), spec: platform ? platformSpec : scenarioSpec()) { _, dir, env in
                let env = platform ? platformEnvironment(env) : env
                let saved = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
                #expect(saved.status == 0, "\(saved.stderr)")
                expectNoCanary(try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8))
                for format in ["text", "json", "markdown"] {
                    let plan = try await runKapsoctl(["plan", "--format", format], environment: env, directory: dir)
                    let show = try await runKapsoctl(["show", "plan.json", "--format", format], directory: dir)
                    #expect(show.status == 0, "\(show.stderr)")
                    #expect(show.stdout == plan.stdout, "\(platform ? "platform" : "legacy") \(format):\n\(show.stdout)\n---\n\(plan.stdout)")
                    expectNoCanary(show.stdout, show.stderr)
                }
            }
        }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "{}".write(to: dir.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
        let notAPlan = try await runKapsoctl(["show", "x.json"], directory: dir)
        #expect(notAPlan.status == 1)
        #expect(notAPlan.stderr == "error: x.json: not a kapsoctl plan file (no \"kind\": \"kapsoctl-plan\")\n", "\(notAPlan.stderr)")
    }

    @Test func literalSecretsAreNotSaved() async throws {
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/n, secret_key: literal-CANARY, events: [whatsapp.message.sent]}\n"
        try await withScenario(spec: spec) { _, dir, env in
            let result = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("secret_key of https://hooks.example.com/n is written literally in the spec"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("plan.json").path))
            #expect(!(result.stdout + result.stderr).contains("literal-CANARY"))
        }
    }
}

@Suite struct ExportCommandTests {
    @Test func exportThenPlanShowsNoChanges() async throws {
        try await withScenario { simulator, dir, env in
            let export = try await runKapsoctl(["export", "-o", "exported.yaml", "--env-template", "kapso.env"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stderr.contains("Wrote exported.yaml: 2 configs, 154 webhooks."))
            #expect(export.stderr.contains("Wrote kapso.env: 2 variables to fill in."))
            let yaml = try String(contentsOf: dir.appendingPathComponent("exported.yaml"), encoding: .utf8)
            expectNoCanary(yaml, export.stdout, export.stderr)
            #expect(yaml.hasPrefix("# Exported by kapsoctl from http://127.0.0.1:"))
            // A fresh export validates where no secret is set (a pull request from a fork).
            let bare = try await runKapsoctl(["validate", "-f", "exported.yaml"], environment: [:], directory: dir)
            #expect(bare.status == 0, "\(bare.stderr)")
            #expect(bare.stdout == "exported.yaml: valid (2 configs, 154 webhooks)\n")
            #expect(bare.stderr.contains("note: environment variable KAPSO_"), "\(bare.stderr)")
            // 154 webhooks share one secret value on the server: one variable, not 154; the
            // Authorization header is the other. The header comment names both, and the template
            // lists them to fill in, without values.
            let variables = yaml.split(separator: "\n").filter { $0.hasPrefix("#   KAPSO_") }
            #expect(variables.count == 2)
            #expect(variables.contains { $0.hasPrefix("#   KAPSO_SECRET ") && $0.hasSuffix("secret_key of 154 webhooks in 2 configs") }, "\(variables)")
            let template = try String(contentsOf: dir.appendingPathComponent("kapso.env"), encoding: .utf8)
            expectNoCanary(template)
            #expect(template == """
            # Variables read by the exported spec; fill in each value (the server's secrets are not exported).
            # Keep it out of git; use it with --env-file (kapsoctl plan --env-file FILE). An empty value counts as unset.
            # secret_key of 154 webhooks in 2 configs
            KAPSO_SECRET=
            # header Authorization of https://hooks.example.com/changed in config \(supportConfig)
            KAPSO_SUPPORT_AUTHORIZATION=

            """)
            var planEnv = env
            for line in template.split(separator: "\n") where !line.hasPrefix("#") {
                let name = String(line.dropLast())
                planEnv[name] = name.hasSuffix("_AUTHORIZATION") ? "Bearer old-token" : secretCanary
            }
            let plan = try await runKapsoctl(["plan", "-f", "exported.yaml", "--detailed-exitcode"], environment: planEnv, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 154 unchanged, 0 unmanaged.\n"))
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// Webhooks that share a secret value share its variable: named after their config when they
    /// are all in one, after the role alone when they span configs; a value held once keeps the
    /// webhook's own name. Names stay unique.
    @Test func sharedSecretsShareAVariable() async throws {
        let seed = SimulatorSeed(configs: [
            SimulatorSeed.Config(id: supportConfig, name: "support", webhooks: [
                seedHook(changedID, "https://a.example.com/1", secret: "CANARY-shared-1", headers: ["Authorization": "CANARY-auth-1"]),
                seedHook(unchangedID, "https://a.example.com/2", secret: "CANARY-shared-1", headers: ["Authorization": "CANARY-auth-1"]),
                seedHook(extraID, "https://a.example.com/3", secret: "CANARY-own-2"),
            ]),
            SimulatorSeed.Config(id: bulkConfig, name: "bulk", webhooks: [
                seedHook(goneID, "https://b.example.com/1", secret: "CANARY-shared-1", headers: ["Authorization": "CANARY-auth-3"]),
            ]),
        ])
        try await withScenario(seed: seed, spec: "version: 1\nconfigs: []\n") { simulator, dir, env in
            let export = try await runKapsoctl(["export", "-o", "e.yaml", "--env-template", "e.env"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            let template = try String(contentsOf: dir.appendingPathComponent("e.env"), encoding: .utf8)
            let names = template.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.dropLast()) }
            #expect(names == ["KAPSO_SECRET", "KAPSO_SUPPORT_AUTHORIZATION", "KAPSO_SUPPORT_SECRET", "KAPSO_BULK_AUTHORIZATION"], "\(template)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("e.yaml"), encoding: .utf8)
            for text in [yaml, template, export.stdout, export.stderr] {
                #expect(!text.contains("CANARY-"), "a secret leaked")
            }
            let values = ["KAPSO_SUPPORT_AUTHORIZATION": "CANARY-auth-1", "KAPSO_SECRET": "CANARY-shared-1",
                          "KAPSO_SUPPORT_SECRET": "CANARY-own-2", "KAPSO_BULK_AUTHORIZATION": "CANARY-auth-3"]
            let plan = try await runKapsoctl(["plan", "-f", "e.yaml", "--detailed-exitcode"], environment: env.merging(values) { $1 }, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            let same = try await runKapsoctl(["export", "-o", "x", "--env-template", "x"], environment: env, directory: dir)
            #expect(same.status == 1)
            #expect(same.stderr.contains("--env-template and --output name the same file"))
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// An event Kapso added after this version of kapsoctl: export declares it in `extra_events`
    /// (the spec validates, the webhook keeps it), and a spec that declares it can subscribe to it.
    @Test func newEventsAreDeclaredSoTheExportValidates() async throws {
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, name: "support", webhooks: [
            seedHook(changedID, "https://hooks.example.com/new", events: ["whatsapp.message.reacted", "whatsapp.message.sent"]),
        ])], features: ServerFeatures(newEvents: ["whatsapp.message.reacted"]))
        try await withScenario(seed: seed, spec: "version: 1\nconfigs: []\n") { simulator, dir, env in
            let export = try await runKapsoctl(["export", "-o", "e.yaml"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(!export.stderr.contains("not exported"), "\(export.stderr)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("e.yaml"), encoding: .utf8)
            #expect(yaml.contains("\nversion: 1\nextra_events: [\"whatsapp.message.reacted\"]\nconfigs:\n"), "\(yaml)")
            #expect(yaml.contains("events: [\"whatsapp.message.reacted\", \"whatsapp.message.sent\"]"))
            let validate = try await runKapsoctl(["validate", "-f", "e.yaml"], environment: [:], directory: dir)
            #expect(validate.status == 0, "\(validate.stderr)")

            try """
            version: 1
            extra_events: [whatsapp.message.reacted]
            configs:
              - whatsapp_config_id: \(supportConfig)
                webhooks:
                  - {url: "https://hooks.example.com/new", events: [whatsapp.message.reacted, whatsapp.message.sent]}
                  - {url: "https://hooks.example.com/second", events: [whatsapp.message.reacted], secret_key: "${SECRET}"}
            """.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("Apply: 1 done, 0 failed, 0 not attempted."))
            let writes = await simulator.writes()
            #expect(writes.map(\.status) == [201])
            #expect(writes.first?.body.contains("\"whatsapp.message.reacted\"") == true)
        }
    }

    @Test func exportOfOneConfigToStdout() async throws {
        try await withScenario { _, dir, env in
            let result = try await runKapsoctl(["export", "--config", supportConfig], environment: env, directory: dir)
            #expect(result.status == 0)
            #expect(result.stdout.contains("  - whatsapp_config_id: \(supportConfig)\n    name: \"support\"\n"))
            #expect(!result.stdout.contains(bulkConfig))
            #expect(result.stdout.contains("secret_key: \"${KAPSO_SUPPORT_SECRET}\""))
            #expect(result.stdout.contains("\"Authorization\": \"${KAPSO_SUPPORT_AUTHORIZATION}\""))
            #expect(result.stdout.contains("\"X-Team\": \"blue\""))
            let unknown = try await runKapsoctl(["export", "--config", "00000000-0000-4000-8000-000000000000"], environment: env, directory: dir)
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("config 00000000-0000-4000-8000-000000000000 is not among the project's WhatsApp configs"))
        }
    }

    /// Issue: export lowercased the config ids the server listed, and a server that does not fold
    /// their case answered 404. Ids now go back exactly as listed, and the exported spec keeps them.
    @Test func upperCaseConfigIDsAreUsedAsListed() async throws {
        let upper = bulkConfig.uppercased()
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: upper, name: "loud", webhooks: [seedHook(changedID, "https://hooks.example.com/x")])])
        try await withScenario(seed: seed, spec: "version: 1\nconfigs: []\n") { simulator, dir, env in
            let export = try await runKapsoctl(["export", "-o", "e.yaml"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("e.yaml"), encoding: .utf8)
            #expect(yaml.contains("  - whatsapp_config_id: \(upper)\n"))
            let filtered = try await runKapsoctl(["export", "--config", bulkConfig], environment: env, directory: dir)
            #expect(filtered.status == 0, "\(filtered.stderr)")
            var planEnv = env
            for line in yaml.split(separator: "\n") where line.hasPrefix("#   KAPSO_") {
                planEnv[String(line.dropFirst(4).prefix { $0 != " " })] = secretCanary
            }
            let plan = try await runKapsoctl(["plan", "-f", "e.yaml", "--detailed-exitcode"], environment: planEnv, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            #expect(await simulator.store.journal().allSatisfy { $0.status == 200 }, "a request got 404")
        }
    }

    @Test func duplicateURLsArePinnedAndLiteralDollarsEscaped() async throws {
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
            seedHook(changedID, "https://hooks.example.com/same", headers: ["X-Price": "${not-a-var}"]),
            seedHook(unchangedID, "https://hooks.example.com/same"),
        ])])
        try await withScenario(seed: seed) { _, dir, env in
            let export = try await runKapsoctl(["export", "-o", "e.yaml"], environment: env, directory: dir)
            #expect(export.status == 0)
            let yaml = try String(contentsOf: dir.appendingPathComponent("e.yaml"), encoding: .utf8)
            #expect(yaml.contains("        id: \(changedID)\n"))
            #expect(yaml.contains("        id: \(unchangedID)\n"))
            #expect(yaml.contains("\"X-Price\": \"$${not-a-var}\""))
            var planEnv = env
            for line in yaml.split(separator: "\n") where line.hasPrefix("#   KAPSO_") {
                planEnv[String(line.dropFirst(4).prefix { $0 != " " })] = secretCanary
            }
            let plan = try await runKapsoctl(["plan", "-f", "e.yaml", "--detailed-exitcode"], environment: planEnv, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        }
    }
}
