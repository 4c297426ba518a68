import Foundation
@testable import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// A webhook nobody declared is drift (someone added it outside git); one another system owns is
/// declared as such with `ignore:`.
@Suite struct DriftTests {
    private let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
        .object(["id": "11111111-1111-4111-8111-111111111111", "url": "https://hooks.example.com/a", "secret_key": .string(secretCanary),
                 "events": ["whatsapp.message.received"]]),
        .object(["id": "22222222-2222-4222-8222-222222222222", "url": "https://evil.example.com/steal", "secret_key": "x",
                 "events": ["whatsapp.message.received"]]),
        .object(["id": "33333333-3333-4333-8333-333333333333", "url": "https://HOOKS.zapier.com/hooks/catch/123/abc", "secret_key": "x",
                 "events": ["whatsapp.message.sent"]]),
    ])])

    private func spec(_ ignore: String) -> String {
        "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n\(ignore)    webhooks:\n"
            + "      - {url: https://hooks.example.com/a, secret_key: \"${SECRET}\", events: [whatsapp.message.received]}\n"
    }

    @Test func anUndeclaredWebhookIsDrift() async throws {
        try await withScenario(seed: seed, spec: spec("")) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(plan.status == 2, "\(plan.stdout)\(plan.stderr)")
            #expect(plan.stdout.contains("? https://evil.example.com/steal [id 22222222-2222-4222-8222-222222222222] unmanaged: not declared"))
            #expect(plan.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 2 unmanaged.\n"), "\(plan.stdout)")
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// Ignored: shown, never touched (not even by --prune), not drift; the attacker's stays drift.
    @Test func ignoredWebhooksAreOwnedElsewhere() async throws {
        try await withScenario(seed: seed, spec: spec("    ignore: [\"https://hooks.zapier.com/hooks/*\"]\n")) { simulator, dir, env in
            let plan = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(plan.status == 2)
            #expect(plan.stdout.contains("· https://HOOKS.zapier.com/hooks/catch/123/abc [id 33333333-3333-4333-8333-333333333333] ignored: matches 'ignore:'; another system owns it"), "\(plan.stdout)")
            #expect(plan.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 1 unmanaged, 1 ignored.\n"), "\(plan.stdout)")
            let json = try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir)
            #expect(try JSONValue.parse(Data(json.stdout.utf8))["summary"]?["ignored"] == .int(1))
            let markdown = try await runKapsoctl(["plan", "--format", "markdown"], environment: env, directory: dir)
            #expect(markdown.stdout.contains("⏭️ **ignored** `https://HOOKS.zapier.com/hooks/catch/123/abc`"), "\(markdown.stdout)")

            let pruned = try await runKapsoctl(["apply", "--auto-approve", "--prune"], environment: env, directory: dir)
            #expect(pruned.status == 0, "\(pruned.stdout)\(pruned.stderr)")
            #expect(await simulator.writes().map(\.path) == ["/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks/22222222-2222-4222-8222-222222222222"])
            let after = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(after.status == 0, "ignored is not drift: \(after.stdout)")
            #expect(after.stdout.hasSuffix("Plan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 0 unmanaged, 1 ignored.\n"), "\(after.stdout)")
        }
    }

    @Test(arguments: [
        ("    ignore: [\"*\"]\n", "would hide every undeclared webhook"),
        ("    ignore: [\"zapier.com\"]\n", "it must start with https://, http:// or *"),
        ("    ignore: [\"https://a b\"]\n", "must not contain spaces"),
        ("    ignore: [\"https://${SECRET}/*\"]\n", "must be written out, not taken from ${VAR}"),
        ("    ignore: https://x/*\n", "'ignore' must be a list"),
    ])
    func badPatterns(_ ignore: String, _ message: String) {
        let spec = spec(ignore)
        let errors = (try? SpecLoader.load(sources: [SourceText(path: "w.yaml", bytes: Array(spec.utf8))], environment: ["SECRET": "s3cret"])) == nil
        #expect(errors)
        do {
            _ = try SpecLoader.load(sources: [SourceText(path: "w.yaml", bytes: Array(spec.utf8))], environment: ["SECRET": "s3cret"])
        } catch {
            #expect(error.diagnostics.contains { $0.message.contains(message) && $0.line == 4 }, "\(error.diagnostics.map(\.description))")
        }
    }

    @Test func patterns() {
        let p = IgnorePattern("https://hooks.zapier.com/hooks/*")
        #expect(p.matches("https://HOOKS.Zapier.com/hooks/catch/1") && p.matches("https://hooks.zapier.com/hooks/"))
        #expect(!p.matches("https://hooks.zapier.com/HOOKS/x") && !p.matches("https://hooks.zapier.com.evil.com/hooks/x"))
        #expect(!p.matches("https://evil.com/?https://hooks.zapier.com/hooks/"))
        let middle = IgnorePattern("https://*.example.com/*/in")
        #expect(middle.matches("https://a.example.com/x/y/in") && !middle.matches("https://a.example.com/in") && !middle.matches("https://a.example.org/x/in"))
        #expect(IgnorePattern("https://exact.example.com/x").matches("https://exact.example.com/x"))
        #expect(!IgnorePattern("https://exact.example.com/x").matches("https://exact.example.com/xy"))
    }
}

/// Rules the API documents are plan-time errors, not 422s at apply.
@Suite struct ForeseenRuleTests {
    @Test func aSecondMetaWebhookOnANumber() async throws {
        let seed = SimulatorSeed(phoneNumbers: [SimulatorSeed.PhoneNumber(phoneNumberID: "1234567890", webhooks: [
            .object(["id": "44444444-4444-4444-8444-444444444444", "url": "https://old.example.com/meta", "secret_key": "x", "kind": "meta"]),
        ])])
        let spec = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1234567890\"\n    webhooks:\n      - {url: https://new.example.com/meta, kind: meta, secret_key: s3cret}\n"
        try await withScenario(seed: seed, spec: spec) { simulator, dir, env in
            let env = platformEnvironment(env)
            let plan = try await runKapsoctl(["plan"], environment: env, directory: dir)
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("webhooks.yaml:6:9: phone number 1234567890: the 'meta' webhook https://new.example.com/meta would be a second one: the number already has the 'meta' webhook 44444444-4444-4444-8444-444444444444"), "\(plan.stderr)")
            let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(apply.status == 1)
            #expect(await simulator.writes().isEmpty)
            // With prune the old one is deleted first: allowed.
            let pruned = try await runKapsoctl(["plan", "--prune"], environment: env, directory: dir)
            #expect(pruned.status == 0, "\(pruned.stderr)")
        }
    }
}

/// A Platform replace never loses a webhook: the new one is created first; when that fails, the
/// old one stays and no further replace starts.
@Suite struct ReplaceSafetyTests {
    private let numbers = ["1000000001", "1000000002", "1000000003"]

    private var seed: SimulatorSeed {
        SimulatorSeed(phoneNumbers: numbers.enumerated().map { index, number in
            SimulatorSeed.PhoneNumber(phoneNumberID: number, webhooks: [
                .object(["id": .string("55555555-5555-4555-8555-00000000000\(index)"), "url": "https://hooks.example.com/raw",
                         "secret_key": "s3cret", "events": ["whatsapp.message.received"]]),
            ])
        })
    }

    private var spec: String {
        "version: 1\napi: platform\nphone_numbers:\n" + numbers.map {
            "  - phone_number_id: \"\($0)\"\n    webhooks:\n      - {url: https://hooks.example.com/raw, kind: meta, secret_key: s3cret}\n"
        }.joined()
    }

    @Test func aFailedCreateLosesNothing() async throws {
        var faults = FaultPlan()
        faults.serverErrorFirst = 0
        faults.dropBeforeWriteFirst = 1
        try await withScenario(seed: seed, spec: spec, faults: faults) { simulator, dir, env in
            let env = platformEnvironment(env)
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "1"], environment: env, directory: dir)
            #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
            #expect(apply.stdout.contains("not replaced: creating the new webhook failed"), "\(apply.stdout)")
            #expect(apply.stdout.contains("is kept and still receives deliveries"))
            #expect(apply.stdout.contains("Apply: 0 done, 1 failed, 2 not attempted."), "\(apply.stdout)")
            for number in numbers {
                let hooks = await simulator.store.platformWebhooks(.phoneNumber(number)) ?? []
                #expect(hooks.count == 1, "\(number): \(hooks)")
            }
            #expect(await simulator.writes().allSatisfy { $0.method == "POST" }, "nothing was deleted")
            // The next apply finishes the job.
            let again = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            for number in numbers {
                let hooks = await simulator.store.platformWebhooks(.phoneNumber(number)) ?? []
                #expect(hooks.count == 1 && hooks.first?["kind"] == .string("meta"), "\(number): \(hooks)")
            }
        }
    }
}
