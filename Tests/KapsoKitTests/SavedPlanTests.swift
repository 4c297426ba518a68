import Foundation
import Testing
@testable import KapsoKit

@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hex(SHA256.hash(long)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // RFC 4231, test case 2.
        #expect(SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

private let canary = "CANARY-secret-9311"
private let headerCanary = "CANARY-token-9312"
private let hookID = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"

/// A plan with a create and an update that both carry secrets from the environment.
private func fixture(environment: [String: String] = ["SECRET": canary, "TOKEN": headerCanary]) throws -> (Plan, ObservedState) {
    let yaml = """
    version: 1
    configs:
      - whatsapp_config_id: \(configA)
        webhooks:
          - url: https://hooks.example.com/new
            secret_key: ${SECRET}
            events: [whatsapp.message.received]
            headers: {Authorization: "Bearer ${TOKEN}", X-Team: blue}
          - url: https://hooks.example.com/old
            secret_key: ${SECRET}
            active: false
            headers: {Authorization: "Bearer ${TOKEN}"}
    """
    let state = try loadSpec(yaml, environment: environment).get()
    let observed = ObservedState(webhooks: [.config(configA): [ServerWebhook(id: hookID, attributes: WebhookAttributes([.url: "https://hooks.example.com/old", .secretKey: "previous", .events: ["whatsapp.message.sent"], .active: true,
        .headers: ["Authorization": "Bearer previous"]]), updatedAt: "2026-01-01T00:00:00Z")]])
    return (try Planner.plan(state.configs, observed: observed), observed)
}

private let apiKeyCanary = "CANARY-api-key-9313"

/// A client used only for its derived keys (no request is sent).
private func client(key: String = apiKeyCanary, url: String = "https://app.kapso.ai/api/v1") -> KapsoClient {
    KapsoClient(baseURL: URL(string: url)!, apiKey: key, transport: CurlTransport())
}

@Suite struct SavedPlanTests {
    let environment = ["SECRET": canary, "TOKEN": headerCanary]

    @Test func roundTripResolvesTheExactBodies() throws {
        let (plan, observed) = try fixture()
        let saved = try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: [])
        let data = saved.serialized()
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains(canary))
        #expect(!text.contains(headerCanary))
        #expect(!text.contains("previous"))
        #expect(!text.contains(apiKeyCanary))
        #expect(text.contains("\"format_version\": 3"))
        #expect(text.contains("\"template\": \"${SECRET}\""))
        #expect(text.contains("\"template\": \"Bearer ${TOKEN}\""))
        let loaded = try SavedPlan.load(data, path: "plan.json")
        #expect(loaded.apiURL == "https://app.kapso.ai/api/v1")
        #expect(loaded.scopes == [.config(configA)])
        let changes = try loaded.resolve(against: observed, environment: environment, client: client())
        #expect(changes.map(\.action) == [.create, .update])
        #expect(changes.map(\.body) == plan.changes.map(\.body))
    }

    @Test func aChangedServerMakesThePlanStale() throws {
        let (plan, observed) = try fixture()
        let loaded = try SavedPlan.load(try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: []).serialized(), path: "p")
        var changed = observed
        changed.webhooks[.config(configA)]![0][.active] = false
        var added = observed
        added.webhooks[.config(configA)]!.append(ServerWebhook(id: "1e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b", attributes: WebhookAttributes([.url: "https://x.example.com"])))
        let removed = ObservedState(webhooks: [.config(configA): []])
        for (state, expected) in [(changed, "was changed on the server"), (added, "was added on the server"), (removed, "was deleted on the server")] {
            do {
                _ = try loaded.resolve(against: state, environment: environment, client: client())
                Issue.record("stale plan accepted")
            } catch {
                #expect(error.messages.first?.contains(expected) == true, "\(error.messages)")
                #expect(error.messages.last == "the saved plan is stale; nothing was written. Run 'kapsoctl plan --out' again.")
            }
        }
    }

    @Test func aChangedOrMissingSecretMakesThePlanStale() throws {
        let (plan, observed) = try fixture()
        let loaded = try SavedPlan.load(try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: []).serialized(), path: "p")
        do {
            _ = try loaded.resolve(against: observed, environment: ["SECRET": "rotated", "TOKEN": headerCanary], client: client())
            Issue.record("accepted")
        } catch {
            #expect(error.messages.contains { $0.contains("the secret ${SECRET} of https://hooks.example.com/new no longer matches") })
            #expect(!error.report.contains("rotated"))
        }
        do {
            _ = try loaded.resolve(against: observed, environment: ["SECRET": canary], client: client())
            Issue.record("accepted")
        } catch {
            #expect(error.messages.contains { $0.contains("environment variable TOKEN is not set") })
        }
    }

    /// Issue: the fingerprints were HMAC(salt, value) with the salt in the file, so a wordlist
    /// recovered the canary secrets offline. Now they are keyed by the API key, which the file
    /// does not hold: the same wordlist attack finds nothing, while the key holder can check them.
    @Test func secretFingerprintsCannotBeCheckedWithoutTheAPIKey() throws {
        let (plan, observed) = try fixture()
        let saved = try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: [])
        let text = String(decoding: saved.serialized(), as: UTF8.self)
        let wordlist = ["password", "previous", canary, headerCanary, "Bearer \(headerCanary)"]
        func found(underKey key: [UInt8]) -> [String] {
            wordlist.filter { text.contains(SavedPlan.secretFingerprint($0, key: key)) }
        }
        // The attack that worked on format 1: the salt from the file as the key.
        #expect(found(underKey: saved.salt).isEmpty)
        // A guessed API key gives nothing either.
        #expect(found(underKey: client(key: "guessed-key").derivedKey(for: SavedPlan.keyPurpose, salt: saved.salt)).isEmpty)
        // The holder of the API key finds both secrets of the plan.
        #expect(Set(found(underKey: client().derivedKey(for: SavedPlan.keyPurpose, salt: saved.salt))) == [canary, "Bearer \(headerCanary)"])
    }

    @Test func anotherAPIKeyCannotApplyThePlan() throws {
        let (plan, observed) = try fixture()
        let loaded = try SavedPlan.load(try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: []).serialized(), path: "p")
        do {
            _ = try loaded.resolve(against: observed, environment: environment, client: client(key: "other-key"))
            Issue.record("accepted")
        } catch {
            #expect(error.messages == ["the plan was made with another API key than KAPSO_API_KEY holds now; nothing was written. Run 'kapsoctl plan --out' again with this key."])
        }
    }

    @Test func aURLFromTheEnvironmentIsStoredAsItsTemplate() throws {
        let yaml = """
        version: 1
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - url: https://hook:${PW}@hooks.example.com/${PATH_TOKEN}?token=${QTOK}
                secret_key: ${SECRET}
                events: [whatsapp.message.received]
        """
        let env = ["PW": "CANARY-pw-1", "PATH_TOKEN": "CANARY-path-2", "QTOK": "CANARY-query-3", "SECRET": canary]
        let state = try loadSpec(yaml, environment: env).get()
        let observed = ObservedState(webhooks: [.config(configA): []])
        let plan = try Planner.plan(state.configs, observed: observed)
        let text = String(decoding: try SavedPlan.make(plan, observed: observed, client: client(), specPaths: [], sources: []).serialized(), as: UTF8.self)
        for value in env.values { #expect(!text.contains(value), "\(value) in the plan file") }
        #expect(text.contains("\"template\": \"https://hook:${PW}@hooks.example.com/${PATH_TOKEN}?token=${QTOK}\""))
        let loaded = try SavedPlan.load(Data(text.utf8), path: "p")
        let changes = try loaded.resolve(against: observed, environment: env, client: client())
        #expect(changes.first?.body?.url == "https://hook:CANARY-pw-1@hooks.example.com/CANARY-path-2?token=CANARY-query-3")
        #expect(changes.first?.displayURL == "https://hook:${PW}@hooks.example.com/${PATH_TOKEN}?token=${QTOK}")
        do {
            _ = try loaded.resolve(against: observed, environment: env.merging(["PATH_TOKEN": "changed"]) { $1 }, client: client())
            Issue.record("a changed URL variable was accepted")
        } catch {
            #expect(error.messages.contains { $0.contains("the secret https://hook:${PW}@hooks.example.com/${PATH_TOKEN}?token=${QTOK} of ") })
        }
    }

    @Test func literalSecretsCannotBeSaved() throws {
        let state = try loadSpec(oneWebhook("secret_key: literal-secret\nevents: [whatsapp.message.sent]")).get()
        let plan = try Planner.plan(state.configs, observed: ObservedState(webhooks: [.config(configA): []]))
        do {
            _ = try SavedPlan.make(plan, observed: ObservedState(webhooks: [.config(configA): []]), client: client(), specPaths: [], sources: [])
            Issue.record("saved a literal secret")
        } catch {
            #expect(error.messages == ["spec.yaml:5:9: secret_key of https://hooks.example.com/a is written literally in the spec; a saved plan records only secrets that come from ${VAR}"])
        }
    }

    @Test(arguments: [
        ("not json", "not a kapsoctl plan file (not JSON)"),
        ("{\"kind\": \"other\"}", "not a kapsoctl plan file"),
        ("{\"kind\": \"kapsoctl-plan\", \"format_version\": 9}", "plan format 9 is not supported"),
        ("{\"kind\": \"kapsoctl-plan\", \"format_version\": 1}", "plan format 1 is not supported"),
        ("{\"kind\": \"kapsoctl-plan\", \"format_version\": 2}", "plan format 2 is not supported"),
        ("{\"kind\": \"kapsoctl-plan\", \"format_version\": 3}", "incomplete or damaged"),
        (damagedEntry(#""action": "update", "webhook_id": null, "body": {"active": true}"#), "a change entry has no webhook_id"),
        (damagedEntry(#""action": "create", "webhook_id": null, "body": null"#), "a change entry has no body"),
        (damagedEntry(#""action": "unchanged", "webhook_id": null, "body": null"#), "a change entry is damaged"),
        (damagedEntry(#""action": "replace", "webhook_id": "11111111-1111-4111-8111-111111111111", "body": {"url": "https://a.example.com/x"}"#), "incomplete or damaged"),
        (damagedEntry(#""action": "delete", "webhook_id": "11111111-1111-4111-8111-111111111111", "body": null"#, scope: "7f3e2d1c-0b9a-4876-9543-21fedcba9876"), "a change entry is damaged"),
    ])
    func damagedFilesAreRefused(_ text: String, _ message: String) {
        do {
            _ = try SavedPlan.load(Data(text.utf8), path: "plan.json")
            Issue.record("loaded")
        } catch {
            #expect(error.messages.first?.hasPrefix("plan.json: ") == true)
            #expect(error.messages.first?.contains(message) == true, "\(error.messages)")
        }
    }
}

@Suite struct RendererTests {
    @Test func noFormatShowsASecret() throws {
        let (plan, _) = try fixture()
        let outputs = [TextRenderer(color: false).render(plan), TextRenderer(color: true).render(plan),
                       JSONRenderer.render(plan), MarkdownRenderer.render(plan)]
        for output in outputs {
            #expect(!output.contains(canary))
            #expect(!output.contains(headerCanary))
            #expect(!output.contains("previous"))
        }
        #expect(outputs[0].contains("secret_key: (sensitive value changed)"))
        #expect(outputs[0].contains("~ Authorization: (sensitive value changed)"))
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let (plan, _) = try fixture()
        let json = try JSONValue.parse(Data(JSONRenderer.render(plan).utf8))
        #expect(json["format_version"] == .int(2))
        #expect(json["summary"] == .object(["create": .int(1), "update": .int(1), "delete": .int(0), "unchanged": .int(0), "unmanaged": .int(0), "ignored": .int(0)]))
        guard case .array(let changes)? = json["changes"] else { Issue.record("no changes"); return }
        #expect(changes.count == 2)
        #expect(changes[0]["action"] == .string("create"))
        #expect(changes[0]["webhook_id"] == .null)
        #expect(changes[1]["webhook_id"] == .string(hookID))
        #expect(changes[1]["url"] == .string("https://hooks.example.com/old"))
        guard case .array(let fields)? = changes[1]["fields"] else { Issue.record("no fields"); return }
        #expect(fields.first == .object(["name": .string("secret_key"), "sensitive": .bool(true)]))
        #expect(fields[1] == .object(["name": .string("active"), "sensitive": .bool(false), "before": .bool(true), "after": .bool(false)]))
        #expect(fields[2]["after"] == .object(["Authorization": .string("(sensitive)")]))
    }

    @Test func quietConfigsAreCountedNotListed() throws {
        let (plan, _) = try fixture()
        let quiet = ConfigPlan(scope: .config(configB), name: "quiet", changes: [WebhookChange(
            action: .unchanged, scope: .config(configB), webhookID: "w", displayURL: "https://q.example.com", fields: [], unverifiable: [])])
        let mixed = TextRenderer().render(Plan(configs: plan.configs + [quiet, quiet]))
        #expect(!mixed.contains("quiet"))
        #expect(mixed.hasSuffix("No changes in 2 other configs.\n\nPlan: 1 to create, 1 to update, 0 to delete, 2 unchanged, 0 unmanaged.\n"))
        #expect(TextRenderer().render(Plan(configs: [quiet])) == "No changes.\n\nPlan: 0 to create, 0 to update, 0 to delete, 1 unchanged, 0 unmanaged.\n")
    }

    @Test func colourOnlyWhenAsked() throws {
        let (plan, _) = try fixture()
        #expect(!TextRenderer(color: false).render(plan).contains("\u{1B}["))
        #expect(TextRenderer(color: true).render(plan).contains("\u{1B}[32m+ \u{1B}[0m"))
    }

    @Test func controlCharactersFromTheServerAreEscaped() {
        let field = FieldChange(name: "url", before: .string("https://a.example.com/\u{1B}[2J"), after: .string("https://b.example.com"))
        #expect(FieldDisplay(field, creating: false) == .replaced(before: "\"https://a.example.com/\\u001B[2J\"", after: "\"https://b.example.com\""))
    }
}

@Suite struct ApplyReportTests {
    private func report(_ outcomes: [ApplyReport.Outcome]) -> ApplyReport {
        ApplyReport(entries: outcomes.map { outcome in
            ApplyReport.Entry(WriteSummary(action: .update, scope: .config(configA), webhookID: "w", displayURL: "https://a.example.com"), outcome)
        })
    }

    @Test func exitCodes() {
        #expect(report([.done("a"), .done("b")]).exitCode == 0)
        #expect(report([.failed("x"), .failed("y")]).exitCode == 1)
        #expect(report([.notAttempted, .notAttempted]).exitCode == 1)
        #expect(report([.done("a"), .failed("y")]).exitCode == 3)
        #expect(report([.done("a"), .notAttempted]).exitCode == 3)
        #expect(report([.unknown("?"), .failed("y")]).exitCode == 3)
        let text = report([.done("updated active"), .failed("PATCH /x: 422"), .unknown("lost"), .notAttempted]).rendered()
        #expect(text.hasSuffix("Apply: 1 done, 1 failed, 1 not attempted, 1 with unknown outcome.\n"))
        #expect(text.contains("  FAILED         update https://a.example.com [id w] in config \(configA): PATCH /x: 422\n"))
    }
}

/// A plan file whose one change entry has these fields (in a scope the plan does not observe when
/// `scope` says so).
private func damagedEntry(_ fields: String, scope: String = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d") -> String {
    let observed = #"{"kind": "whatsapp_config", "id": "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"}"#
    return #"{"kind": "kapsoctl-plan", "format_version": 3, "spec": {"paths": ["webhooks.yaml"], "files": []}, "view": {"api": "legacy", "configs": []}, "api": "legacy", "created_at": "2026-12-01T00:00:00Z", "api_url": "http://127.0.0.1:1/api/v1", "salt": "00112233445566778899aabbccddeeff", "key_check": "x", "configs": [{"scope": \#(observed), "observed": {}}], "changes": [{"scope": {"kind": "whatsapp_config", "id": "\#(scope)"}, "url": "https://a.example.com/x", "fields": [], \#(fields)}]}"#
}
