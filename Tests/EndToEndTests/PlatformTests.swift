import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

let supportNumber = "1111111111"
let salesNumber = "2222222222"
let idleNumber = "3333333333"
let metaID = "aaaaaaaa-1111-4111-8111-000000000001"
let versionedID = "aaaaaaaa-1111-4111-8111-000000000002"
let staleID = "aaaaaaaa-1111-4111-8111-000000000003"
let projectID = "aaaaaaaa-1111-4111-8111-000000000004"
let strayID = "aaaaaaaa-1111-4111-8111-000000000005"

/// A Platform webhook object for a seed.
func platformHook(_ id: String, _ url: String, kind: String = "kapso", events: [String] = ["whatsapp.message.received"],
                  payloadVersion: String? = nil) -> JSONValue {
    var object: [String: JSONValue] = ["id": .string(id), "url": .string(url), "secret_key": .string(secretCanary), "kind": .string(kind),
                                       "events": .array(events.map(JSONValue.string))]
    if let payloadVersion { object["payload_version"] = .string(payloadVersion) }
    if kind == "meta" { object["events"] = nil }
    return .object(object)
}

/// Numbers 1111… (support: a kapso webhook on payload v1, and one to become `meta`), 2222… (sales,
/// pruned: one stale webhook) and 3333…; the project has one declared and one stray webhook.
func platformSeed() -> SimulatorSeed {
    SimulatorSeed(phoneNumbers: [
        SimulatorSeed.PhoneNumber(phoneNumberID: supportNumber, internalID: supportConfig, name: "support", webhooks: [
            platformHook(versionedID, "https://hooks.example.com/a", payloadVersion: "v1"),
            platformHook(metaID, "https://hooks.example.com/meta-raw"),
        ]),
        SimulatorSeed.PhoneNumber(phoneNumberID: salesNumber, name: "sales", webhooks: [
            platformHook(staleID, "https://old.example.com/hook"),
        ]),
        SimulatorSeed.PhoneNumber(phoneNumberID: idleNumber),
    ], projectWebhooks: [
        platformHook(projectID, "https://ops.example.com/project", events: ["workflow.execution.failed"]),
        platformHook(strayID, "https://ops.example.com/stray", events: ["workflow.execution.handoff"]),
    ])
}

let platformSpec = """
version: 1
api: platform
defaults:
  secret_key: ${SECRET}
phone_numbers:
  - phone_number_id: "\(supportNumber)"
    name: support
    webhooks:
      - url: https://hooks.example.com/a
        events: [whatsapp.message.received]
        payload_version: v2
      - url: https://hooks.example.com/meta-raw
        kind: meta
  - phone_number_id: "\(salesNumber)"
    prune: true
    webhooks:
      - url: https://hooks.example.com/new
        events: [whatsapp.message.sent]
project:
  webhooks:
    - url: https://ops.example.com/project
      events: [workflow.execution.failed, whatsapp.phone_number.created]

"""

/// The environment for a run against the simulator's Platform API.
func platformEnvironment(_ env: [String: String]) -> [String: String] {
    var out = env
    out["KAPSO_API_URL"] = KapsoSimulator.platformURL(from: URL(string: env["KAPSO_API_URL"]!)!).absoluteString
    return out
}

@Suite struct PlatformTests {
    @Test func aPlatformSpecPlansAppliesWithMinimalBodiesOnTheRightRoutesAndConverges() async throws {
        try await withScenario(seed: platformSeed(), spec: platformSpec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let plan = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.hasSuffix("Plan: 1 to create, 2 to update, 1 to delete, 1 to replace, 0 unchanged, 1 unmanaged.\n"), "\(plan.stdout)")
            #expect(plan.stdout.contains("Phone number \(supportNumber) (support)"))
            #expect(plan.stdout.contains("-/+ https://hooks.example.com/meta-raw [id \(metaID)] (replaced: the new one created, then this one deleted; its kind cannot change)"))
            #expect(plan.stdout.contains("      kind: \"kapso\" → \"meta\""))
            #expect(plan.stdout.contains("      payload_version: \"v1\" → \"v2\""))
            #expect(plan.stdout.contains("Project\n  ~ https://ops.example.com/project"))
            #expect(plan.stdout.contains("  ? https://ops.example.com/stray [id \(strayID)] unmanaged"))
            expectNoCanary(plan.stdout, plan.stderr)
            // Planning reads two lists, one page each: every webhook of the project, and the numbers.
            let reads = await simulator.store.journal().map(\.path).sorted()
            #expect(reads == ["/platform/v1/whatsapp/phone_numbers", "/platform/v1/whatsapp/webhooks"])

            let json = try JSONValue.parse(Data(try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir).stdout.utf8))
            #expect(json["api"] == .string("platform"))
            #expect(json["summary"]?["replace"] == .int(1))
            guard case .array(let changes)? = json["changes"] else { Issue.record("no changes"); return }
            let replace = changes.first { $0["action"] == .string("replace") }
            #expect(replace?["scope"] == .string("phone_number"))
            #expect(replace?["phone_number_id"] == .string(supportNumber))
            #expect(changes.contains { $0["scope"] == .string("project") && $0["phone_number_id"] == .null })
            let markdown = try await runKapsoctl(["plan", "--format", "markdown"], environment: env, directory: dir)
            #expect(markdown.stdout.contains("| create | update | delete | replace | unchanged | unmanaged |"))
            #expect(markdown.stdout.contains("- 🔁 **replace** `https://hooks.example.com/meta-raw`"))

            await simulator.store.clearJournal()
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("Apply: 5 done, 0 failed, 0 not attempted."))
            #expect(apply.stdout.contains("done           replace https://hooks.example.com/meta-raw [id \(metaID)] in phone number \(supportNumber): created with id "))
            #expect(apply.stdout.contains(", then deleted \(metaID)\n"))
            expectNoCanary(apply.stdout, apply.stderr)
            let writes = await simulator.writes()
            let routes = writes.map { "\($0.method) \($0.path.replacingOccurrences(of: "/platform/v1/whatsapp", with: ""))" }
            // Deletes first, then the replace (create, then delete the old one), then creates and updates.
            #expect(Array(routes.prefix(3)) == ["DELETE /phone_numbers/\(salesNumber)/webhooks/\(staleID)",
                                                "POST /phone_numbers/\(supportNumber)/webhooks",
                                                "DELETE /phone_numbers/\(supportNumber)/webhooks/\(metaID)"])
            #expect(Set(routes.dropFirst(3)) == ["POST /phone_numbers/\(salesNumber)/webhooks",
                                                 "PATCH /phone_numbers/\(supportNumber)/webhooks/\(versionedID)",
                                                 "PATCH /webhooks/\(projectID)"])
            let bodies = Dictionary(writes.map { ("\($0.method) \($0.path)", $0.body) }) { first, _ in first }
            #expect(bodies["POST /platform/v1/whatsapp/phone_numbers/\(supportNumber)/webhooks"]
                    == #"{"whatsapp_webhook":{"kind":"meta","secret_key":"\#(secretCanary)","url":"https://hooks.example.com/meta-raw"}}"#)
            #expect(bodies["PATCH /platform/v1/whatsapp/phone_numbers/\(supportNumber)/webhooks/\(versionedID)"]
                    == #"{"whatsapp_webhook":{"payload_version":"v2"}}"#)
            #expect(bodies["PATCH /platform/v1/whatsapp/webhooks/\(projectID)"]
                    == #"{"whatsapp_webhook":{"events":["workflow.execution.failed","whatsapp.phone_number.created"]}}"#)

            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(again.status == 2, "the unmanaged webhook is drift: \(again.stdout)\(again.stderr)")
            #expect(again.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 4 unchanged, 1 unmanaged.\n"), "\(again.stdout)")
        }
    }

    @Test func aPlanOverFiveHundredNumbersCostsPages() async throws {
        let numbers = (0..<500).map { i in
            SimulatorSeed.PhoneNumber(phoneNumberID: String(4_000_000_000 + i), webhooks: [
                platformHook(String(format: "bbbbbbbb-0000-4000-8000-%012d", i), "https://hooks.example.com/n\(i)"),
            ])
        }
        var spec = "version: 1\napi: platform\nphone_numbers:\n"
        for i in 0..<500 {
            spec += "  - phone_number_id: \"\(4_000_000_000 + i)\"\n    webhooks:\n      - {url: https://hooks.example.com/n\(i), active: true}\n"
        }
        try await withScenario(seed: SimulatorSeed(phoneNumbers: numbers), spec: spec) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan"], environment: platformEnvironment(env), directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 500 unchanged, 0 unmanaged.\n"))
            // ceil(500 webhooks / 100) list pages + ceil(500 numbers / 100) number pages.
            let journal = await simulator.store.journal()
            #expect(journal.count == 10, "\(journal.map { "\($0.path)?\($0.query)" })")
            #expect(journal.filter { $0.path.hasSuffix("/whatsapp/webhooks") }.count == 5)
            #expect(journal.filter { $0.path.hasSuffix("/whatsapp/phone_numbers") }.count == 5)
        }
    }

    @Test func aMistypedNumberIsAnErrorAtPlanTime() async throws {
        let spec = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1111111112\"\n    webhooks: []\n"
        try await withScenario(seed: platformSeed(), spec: spec) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan"], environment: platformEnvironment(env), directory: dir)
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("error: phone number 1111111112 is not in the project (the API lists 3 numbers); check its 'phone_number_id'"))
            #expect(await simulator.writes().isEmpty)
        }
    }

    @Test func aSavedPlatformPlanAppliesAndRefusesWhenStale() async throws {
        try await withScenario(seed: platformSeed(), spec: platformSpec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let saved = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(saved.status == 0, "\(saved.stderr)")
            let file = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
            #expect(file.contains("\"api\": \"platform\""))
            #expect(file.contains("\"from_scope\""))
            expectNoCanary(file)
            // A change on the server since the plan: refused, nothing written.
            let client = KapsoClient(baseURL: URL(string: env["KAPSO_API_URL"]!)!, apiKey: apiKey, transport: CurlTransport())
            _ = try await client.updateWebhook(in: .project, id: strayID, attributes: WebhookAttributes([.active: false]))
            await simulator.store.clearJournal()
            let stale = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("the project: webhook \(strayID) (https://ops.example.com/stray) was changed on the server since the plan"))
            #expect(await simulator.writes().isEmpty)
            let fresh = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(fresh.status == 0)
            let applied = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            #expect(applied.stdout.contains("-/+ https://hooks.example.com/meta-raw [id \(metaID)] in phone number \(supportNumber)"))
            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            expectConverged(again)
        }
    }

    @Test func pinnedToAnotherNumberIsAReplaceThatMovesIt() async throws {
        let spec = """
        version: 1
        api: platform
        phone_numbers:
          - phone_number_id: "\(idleNumber)"
            webhooks:
              - url: https://hooks.example.com/a
                id: \(versionedID)
                secret_key: ${SECRET}
                events: [whatsapp.message.received]

        """
        try await withScenario(seed: platformSeed(), spec: spec) { simulator, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: platformEnvironment(env), directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("phone_number_id: \"\(supportNumber)\" → \"\(idleNumber)\""))
            #expect(apply.stdout.contains("(replaced: the new one created, then this one deleted; a webhook cannot move to another number)"))
            let writes = await simulator.writes().map { "\($0.method) \($0.path)" }
            #expect(writes == ["POST /platform/v1/whatsapp/phone_numbers/\(idleNumber)/webhooks",
                               "DELETE /platform/v1/whatsapp/phone_numbers/\(supportNumber)/webhooks/\(versionedID)"])
            #expect(await simulator.store.platformWebhooks(.phoneNumber(idleNumber))?.count == 1)
        }
    }

    @Test func aReplaceCountsAgainstMaxDeletes() async throws {
        try await withScenario(seed: platformSeed(), spec: platformSpec) { simulator, dir, env in
            let refused = try await runKapsoctl(["apply", "--auto-approve", "--max-deletes", "1"], environment: platformEnvironment(env), directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("this run would delete 2 webhooks, more than --max-deletes 1"))
            #expect(refused.stderr.contains("https://hooks.example.com/meta-raw [id \(metaID)] in phone number \(supportNumber) (replaced)"))
            #expect(await simulator.writes().isEmpty)
        }
    }

    @Test func aPaidFeatureIsAFailedWriteWithTheServersText() async throws {
        let spec = """
        version: 1
        api: platform
        project:
          webhooks:
            - url: https://ops.example.com/events
              events: [project.event]

        """
        try await withScenario(seed: platformSeed(), spec: spec) { _, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: platformEnvironment(env), directory: dir)
            #expect(apply.status == 1)
            #expect(apply.stdout.contains("FAILED         create https://ops.example.com/events in the project: POST /whatsapp/webhooks: 402 Payment Required: project.event requires a paid plan"),
                    "\(apply.stdout)")
        }
    }

    @Test func exportWritesAPlatformSpecThatPlansToNoChanges() async throws {
        try await withScenario(seed: platformSeed(), spec: platformSpec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let export = try await runKapsoctl(["export", "--api", "platform", "-o", "exported.yaml"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            // The numbers are read once; the meta webhook exports without a warning.
            #expect(await simulator.store.journal().filter { $0.path == "/platform/v1/whatsapp/phone_numbers" }.count == 1)
            #expect(!export.stderr.contains("warning"), "\(export.stderr)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("exported.yaml"), encoding: .utf8)
            #expect(yaml.contains("api: platform\nphone_numbers:\n  - phone_number_id: \"\(supportNumber)\"\n    name: \"support\"\n"))
            #expect(yaml.contains("project:\n  webhooks:\n    - url: \"https://ops.example.com/project\"\n"))
            #expect(yaml.contains("        kind: \"kapso\"\n        payload_version: \"v1\"\n"))
            expectNoCanary(yaml, export.stderr)
            var planEnv = env
            for line in yaml.split(separator: "\n") where line.hasPrefix("#   KAPSO_") {
                planEnv[String(line.dropFirst(4).prefix { $0 != " " })] = secretCanary
            }
            let plan = try await runKapsoctl(["plan", "-f", "exported.yaml", "--detailed-exitcode"], environment: planEnv, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged, 0 unmanaged.\n"), "\(plan.stdout)")
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// The concurrency defence works per scope on the Platform API too: a copy stored by "another
    /// apply" just before each POST is kept, this run's own copy deleted.
    @Test func concurrentCopiesAreSettledPerScope() async throws {
        let spec = """
        version: 1
        api: platform
        phone_numbers:
          - phone_number_id: "\(idleNumber)"
            webhooks:
              - {url: https://hooks.example.com/race, secret_key: "${SECRET}", events: [whatsapp.message.sent]}
        project:
          webhooks:
            - {url: https://ops.example.com/race, events: [workflow.execution.failed]}

        """
        var faults = FaultPlan()
        faults.concurrentCreateFirst = 2
        try await withScenario(seed: platformSeed(), spec: spec, faults: faults) { simulator, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: platformEnvironment(env), directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.components(separatedBy: "deleted this run's copy").count - 1 == 2)
            #expect(await simulator.store.platformWebhooks(.phoneNumber(idleNumber))?.count == 1)
            #expect(await simulator.store.platformWebhooks(.project)?.filter { $0["url"] == .string("https://ops.example.com/race") }.count == 1)
            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: platformEnvironment(env), directory: dir)
            expectConverged(again)
        }
    }
}

/// The catalogue against the simulator: a new project event is created as declared; an event the
/// server does not take is refused in words naming it, and nothing is written.
@Suite struct EventCatalogueEndToEndTests {
    @Test func newEventsApplyAndARefusedOneIsNamed() async throws {
        let spec = """
            version: 1
            api: platform
            extra_events: [acme.future.event]
            project:
              webhooks:
                - {url: https://ops.example.com/agents, secret_key: s3cret, events: [kapso_agent.run.failed, whatsapp.phone_number.disconnected]}
            """
        try await withScenario(seed: SimulatorSeed(), spec: spec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            let stored = await simulator.store.platformWebhooks(.project) ?? []
            #expect(stored.map { $0["events"] } == [.array(["kapso_agent.run.failed", "whatsapp.phone_number.disconnected"])], "\(stored)")
            // Known events: export declares no extra_events for them.
            let export = try await runKapsoctl(["export", "--api", "platform"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("kapso_agent.run.failed") && !export.stdout.contains("extra_events"), "\(export.stdout)")

            let refused = spec.replacingOccurrences(of: "whatsapp.phone_number.disconnected]", with: "acme.future.event]")
                .replacingOccurrences(of: "/agents", with: "/future")
            try refused.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
            await simulator.store.clearJournal()
            let second = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
            #expect((second.stdout + second.stderr).contains("Kapso does not take the event 'acme.future.event' on this webhook"), "\(second.stdout)\(second.stderr)")
            #expect(await simulator.store.platformWebhooks(.project)?.count == 1)
        }
    }
}

/// Only documented requests: the project list documents no URL filter, so the re-check before a
/// project create reads the list whole.
@Suite struct DocumentedReadsTests {
    @Test func aProjectCreateRechecksWithoutAnUndocumentedFilter() async throws {
        let spec = "version: 1\napi: platform\nproject:\n  webhooks:\n    - {url: https://ops.example.com/new, secret_key: s3cret, events: [workflow.execution.failed]}\n"
        try await withScenario(seed: SimulatorSeed(), spec: spec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            let journal = await simulator.store.journal()
            let projectReads = journal.filter { $0.method == "GET" && $0.path == "/platform/v1/whatsapp/webhooks" }
            #expect(projectReads.count >= 2, "the plan's read and the re-check: \(journal.map { "\($0.method) \($0.path)?\($0.query)" })")
            #expect(projectReads.allSatisfy { !$0.query.contains("url_contains") }, "\(projectReads.map(\.query))")
            #expect(journal.filter { $0.method == "POST" }.count == 1)
        }
    }

    /// A `meta` webhook the API created (with the server's buffering defaults) exports without a
    /// warning about attributes a meta webhook cannot take.
    @Test func aMetaWebhookExportsWithoutAWarning() async throws {
        let spec = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1234567890\"\n    webhooks:\n      - {url: https://hooks.example.com/raw, kind: meta, secret_key: s3cret}\n"
        try await withScenario(seed: SimulatorSeed(phoneNumbers: [SimulatorSeed.PhoneNumber(phoneNumberID: "1234567890")]), spec: spec) { _, dir, env in
            let env = platformEnvironment(env)
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            let export = try await runKapsoctl(["export", "--api", "platform"], environment: env, directory: dir)
            #expect(export.status == 0 && export.stdout.contains("kind: \"meta\""), "\(export.stdout)\(export.stderr)")
            #expect(!export.stderr.contains("warning"), "\(export.stderr)")
        }
    }
}
