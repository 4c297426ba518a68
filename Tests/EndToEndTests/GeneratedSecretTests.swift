import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// A secret as Kapso generated it for a seeded webhook; a canary, never to be printed.
private let generatedCanary = "CANARY-generated-5ec2e7"
private let number = "1234567890"

/// A Platform spec with one number whose webhooks follow (indented by 6), none with a secret_key.
private func spec(_ webhooks: String) -> String {
    "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"\(number)\"\n    webhooks:\n" + webhooks
}

private func seed(_ webhooks: [JSONValue] = []) -> SimulatorSeed {
    SimulatorSeed(phoneNumbers: [SimulatorSeed.PhoneNumber(phoneNumberID: number, name: "support", webhooks: webhooks)])
}

/// Kapso generates a secret a Platform create leaves out (issue 18, item 2).
@Suite struct GeneratedSecretTests {
    /// Plan says Kapso generates it, apply sends none, the simulator stores one, and the next plan
    /// is empty: a secret the spec leaves out is not managed.
    @Test func aCreateWithoutASecretLetsKapsoGenerateOne() async throws {
        let webhooks = "      - {url: https://hooks.example.com/generated, events: [whatsapp.message.received]}\n"
        try await withScenario(seed: seed(), spec: spec(webhooks)) { simulator, dir, env in
            let env = platformEnvironment(env)
            let plan = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains("  + https://hooks.example.com/generated\n      url: \"https://hooks.example.com/generated\"\n      secret_key: (Kapso generates it)\n      events:"),
                    "\(plan.stdout)")
            let json = try JSONValue.parse(Data(try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir).stdout.utf8))
            guard case .array(let changes)? = json["changes"], case .array(let fields)? = changes.first?["fields"] else {
                Issue.record("no fields: \(json)")
                return
            }
            let secret = fields.first { $0["name"] == .string("secret_key") }
            #expect(secret == .object(["name": .string("secret_key"), "sensitive": .bool(true), "note": .string("Kapso generates it")]), "\(fields)")
            let markdown = try await runKapsoctl(["plan", "--format", "markdown"], environment: env, directory: dir)
            #expect(markdown.stdout.contains("| secret_key |  | (Kapso generates it) |"), "\(markdown.stdout)")

            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            let create = try #require(await simulator.writes().first)
            #expect(!create.body.contains("secret_key"), "\(create.body)")
            let hooks = await simulator.store.platformWebhooks(.phoneNumber(number)) ?? []
            let stored: String? = if case .string(let value)? = hooks.first?["secret_key"] { value } else { nil }
            #expect(stored?.count == 64 && stored?.allSatisfy(\.isHexDigit) == true, "\(stored ?? "none")")

            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            expectConverged(again)
            // Rotating secrets has nothing to send for a secret the spec leaves to Kapso.
            let rotate = try await runKapsoctl(["apply", "--auto-approve", "--rotate-secrets"], environment: env, directory: dir)
            #expect(rotate.stdout.contains("No changes. Nothing to apply."), "\(rotate.stdout)")
            #expect(await simulator.writes().count == 1)
            if let stored { #expect(!(plan.stdout + again.stdout + apply.stdout + apply.stderr).contains(stored)) }
        }
    }

    /// A number's `meta` webhook, and a project webhook, need only their url on the Platform API;
    /// a legacy config's webhook still needs its secret_key.
    @Test func onlyTheLegacyAPIRequiresTheSecret() async throws {
        let platform = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"\(number)\"\n    webhooks:\n"
            + "      - {url: https://hooks.example.com/raw, kind: meta}\nproject:\n  webhooks:\n"
            + "    - {url: https://ops.example.com/p, events: [workflow.execution.failed]}\n"
        try await withScenario(seed: seed(), spec: platform) { simulator, dir, env in
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: platformEnvironment(env), directory: dir)
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.components(separatedBy: "secret_key: (Kapso generates it)").count == 3, "\(apply.stdout)")
            let numberHooks = await simulator.store.platformWebhooks(.phoneNumber(number)) ?? []
            let projectHooks = await simulator.store.platformWebhooks(.project) ?? []
            for hooks in [numberHooks, projectHooks] {
                guard case .string(let secret)? = hooks.first?["secret_key"] else {
                    Issue.record("no generated secret: \(hooks)")
                    continue
                }
                #expect(secret.count == 64)
            }
        }
        let legacy = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
            + "      - {url: https://hooks.example.com/unsigned, events: [whatsapp.message.received]}\n"
        try await withScenario(spec: legacy) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("must be created, but it does not set 'secret_key'"), "\(plan.stderr)")
            let verify = try await runKapsoctl(["verify"], environment: env, directory: dir)
            #expect(verify.status == 1)
            #expect(verify.stdout.contains("not verified: the spec does not declare its secret_key, so kapsoctl cannot sign as Kapso does"), "\(verify.stdout)")
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// Export writes a generated secret as a variable like any other, never its value.
    @Test func exportWritesTheGeneratedSecretAsAVariable() async throws {
        let hook: JSONValue = .object(["id": .string("bbbbbbbb-1111-4111-8111-000000000001"), "url": .string("https://hooks.example.com/g"),
                                       "secret_key": .string(generatedCanary), "kind": .string("kapso"),
                                       "events": .array([.string("whatsapp.message.received")])])
        try await withScenario(seed: seed([hook]), spec: spec("      []\n")) { _, dir, env in
            let export = try await runKapsoctl(["export", "--api", "platform"], environment: platformEnvironment(env), directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            #expect(!export.stdout.contains(generatedCanary) && !export.stderr.contains(generatedCanary))
            #expect(export.stdout.contains("secret_key: \"${KAPSO_SUPPORT_SECRET}\""), "\(export.stdout)")
        }
    }

    /// verify signs with the secret the server holds when the spec leaves it out (read with the
    /// API key, never printed); without the key it says so; a webhook pinned by id at another URL
    /// is not signed with that webhook's secret.
    @Test func verifySignsWithTheServersSecret() async throws {
        let receiver = try Receiver.checking(generatedCanary)
        defer { receiver.stop() }
        let id = "bbbbbbbb-1111-4111-8111-000000000002"
        let hook: JSONValue = .object(["id": .string(id), "url": .string(receiver.url("/hook")), "secret_key": .string(generatedCanary),
                                       "kind": .string("kapso"), "events": .array([.string("whatsapp.message.received")])])
        let declared = spec("      - {url: \(receiver.url("/hook")), events: [whatsapp.message.received]}\n")
        try await withScenario(seed: seed([hook]), spec: declared) { _, dir, env in
            let env = platformEnvironment(env)
            let signed = try await runKapsoctl(["verify", "--allow-private-addresses"], environment: env, directory: dir)
            #expect(signed.status == 0, "\(signed.stdout)\(signed.stderr)")
            #expect(signed.stdout.contains("    ok: answered 200 in "), "\(signed.stdout)")
            #expect(receiver.requests.count == 1)
            let dry = try await runKapsoctl(["verify", "--allow-private-addresses", "--dry-run"], environment: env, directory: dir)
            #expect(dry.stdout.contains("X-Webhook-Signature: " + Redactor.mask), "\(dry.stdout)")
            for text in [signed.stdout, signed.stderr, dry.stdout, dry.stderr] { #expect(!text.contains(generatedCanary)) }

            var keyless = env
            keyless["KAPSO_API_KEY"] = nil
            keyless["KAPSOCTL_VERIFY_HOSTS"] = "127.0.0.1"
            let unread = try await runKapsoctl(["verify", "--allow-private-addresses"], environment: keyless, directory: dir)
            #expect(unread.status == 1)
            #expect(unread.stdout.contains("not verified: " + ServerSecrets.unread), "\(unread.stdout)")
            #expect(receiver.requests.count == 1)
        }
        // Pinned to that webhook's id at a URL of the spec's choosing (on a registered host): the
        // secret stays Kapso's, and nothing is sent.
        let pinned = spec("      - {id: \(id), url: \(receiver.url("/elsewhere")), events: [whatsapp.message.received]}\n")
        try await withScenario(seed: seed([hook]), spec: pinned) { _, dir, env in
            let run = try await runKapsoctl(["verify", "--allow-private-addresses"], environment: platformEnvironment(env), directory: dir)
            #expect(run.status == 1)
            #expect(run.stdout.contains("not verified: the spec leaves secret_key out, and Kapso's secret belongs to the webhook at the URL Kapso has"), "\(run.stdout)")
            #expect(receiver.requests.count == 1)
        }
    }

    /// A server that does not reveal the secret it generated: verify says so in words.
    @Test func aSecretTheServerHidesIsSaidInWords() async throws {
        let receiver = try Receiver.checking(generatedCanary)
        defer { receiver.stop() }
        let hook: JSONValue = .object(["id": .string("bbbbbbbb-1111-4111-8111-000000000003"), "url": .string(receiver.url("/hook")),
                                       "secret_key": .string("********"), "kind": .string("kapso"),
                                       "events": .array([.string("whatsapp.message.received")])])
        try await withScenario(seed: seed([hook]), spec: spec("      - {url: \(receiver.url("/hook")), events: [whatsapp.message.received]}\n")) { _, dir, env in
            let run = try await runKapsoctl(["verify", "--allow-private-addresses"], environment: platformEnvironment(env), directory: dir)
            #expect(run.status == 1)
            #expect(run.stdout.contains("the server does not reveal the secret Kapso generated"), "\(run.stdout)")
            #expect(receiver.requests.isEmpty)
        }
    }
}
