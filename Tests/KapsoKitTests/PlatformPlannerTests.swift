import Foundation
import Testing
@testable import KapsoKit

private let number = "1234567890"
private let hookID = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"

/// A Platform server webhook as the API returns it with buffering off (null window and size, no
/// buffered events).
private func server(url: String = "https://hooks.example.com/a", kind: String? = "kapso", payloadVersion: String? = "v2",
                    events: [String] = ["whatsapp.message.received"], phoneNumberID: String? = number) -> ServerWebhook {
    var attributes = WebhookAttributes([.url: .string(url), .secretKey: "s", .events: .list(events), .active: true,
                                        .bufferEnabled: false, .bufferEvents: []])
    attributes[.kind] = kind.map(FieldValue.string)
    attributes[.payloadVersion] = payloadVersion.map(FieldValue.string)
    return ServerWebhook(id: hookID, attributes: attributes, phoneNumberID: phoneNumberID)
}

private func plan(_ webhookYAML: String, _ hooks: [ServerWebhook]) throws -> Plan {
    let state = try loadSpec(onePlatformWebhook(webhookYAML)).get()
    return try Planner.plan(state.configs, observed: ObservedState(webhooks: [.phoneNumber(number): hooks]))
}

@Suite struct PlatformPlannerTests {
    @Test func payloadVersionAbsentOnTheServerIsV2() throws {
        #expect(try plan("payload_version: v2", [server(payloadVersion: nil)]).changes[0].action == .unchanged)
        let update = try plan("payload_version: v1", [server(payloadVersion: nil)]).changes[0]
        #expect(update.action == .update)
        #expect(update.fields == [FieldChange(name: "payload_version", before: "v2", after: "v1")])
        #expect(update.body == WebhookAttributes([.payloadVersion: "v1"]))
    }

    @Test func bufferSettingsTheServerNullsWhileBufferingIsOffAreNotSet() throws {
        let yaml = "buffer_events: [whatsapp.message.received]\nbuffer_window_seconds: 9\nevents: [whatsapp.message.received]"
        #expect(try plan(yaml, [server()]).changes[0].action == .unchanged)
    }

    @Test func aKindChangeIsAReplaceWithTheWholeDeclaration() throws {
        let change = try plan("kind: meta\nsecret_key: t", [server()]).changes[0]
        #expect(change.action == .replace)
        #expect(change.fields.map(\.name) == ["kind", "secret_key"])
        guard case .replace(let deleted, let from, let body)? = change.write?.request else { Issue.record("\(change)"); return }
        #expect(deleted == hookID && from == .phoneNumber(number))
        #expect(body == WebhookAttributes([.url: "https://hooks.example.com/a", .kind: "meta", .secretKey: "t"]))
        // The kind the server does not report is the API's default, kapso.
        #expect(try plan("kind: kapso", [server(kind: nil)]).changes[0].action == .unchanged)
    }

    @Test func aReplaceNeedsWhatACreateNeeds() throws {
        #expect(throws: PlanError([.cannotCreate(SourceLocation(file: "spec.yaml", line: 6, column: 9), .phoneNumber(number),
                                                 url: "https://hooks.example.com/a", missing: ["events"])])) {
            try plan("kind: kapso", [server(kind: "meta", events: [])])
        }
        // Kapso generates the new webhook's secret when the spec leaves it out: shown, not sent.
        let change = try plan("kind: meta", [server()]).changes[0]
        #expect(change.action == .replace)
        #expect(change.fields.last == .generatedSecret && change.fields.last?.note == "Kapso generates it")
        guard case .replace(_, _, let body)? = change.write?.request else { Issue.record("\(change)"); return }
        #expect(body[.secretKey] == nil)
    }

    @Test func createsNeedWhatTheirScopeAndKindNeed() throws {
        // A meta webhook needs no events; a project webhook needs only its URL.
        #expect(try plan("kind: meta\nsecret_key: s", []).changes[0].action == .create)
        let project = try loadSpec(oneProjectWebhook("active: true")).get()
        let created = try Planner.plan(project.configs, observed: ObservedState(webhooks: [.project: []]))
        #expect(created.changes.map(\.action) == [.create])
        // A number's kapso webhook needs its events; its secret, Kapso generates (shown in its
        // place in the table, after the url, and not sent).
        #expect(throws: PlanError([.cannotCreate(SourceLocation(file: "spec.yaml", line: 6, column: 9), .phoneNumber(number),
                                                 url: "https://hooks.example.com/a", missing: ["events"])])) {
            try plan("active: true", [])
        }
        let generated = try plan("events: [whatsapp.message.sent]", []).changes[0]
        #expect(generated.fields.map(\.name) == ["url", "secret_key", "events"])
        #expect(generated.fields[1] == .generatedSecret)
        #expect(generated.body?[.secretKey] == nil)
        // The legacy API generates none: the secret stays required.
        #expect(Planner.missingForCreate(generated.desired!, in: .config(hookID)) == ["secret_key"])
    }

    @Test func aMetaWebhookTakesNoDefaultsItCannotHave() throws {
        let yaml = """
        version: 1
        api: platform
        defaults:
          secret_key: s
          events: [whatsapp.message.received]
          payload_version: v1
          buffer_enabled: false
        phone_numbers:
          - phone_number_id: "\(number)"
            webhooks:
              - {url: https://hooks.example.com/raw, kind: meta}
              - {url: https://hooks.example.com/kapso}
        """
        let hooks = try loadSpec(yaml).get().configs[0].webhooks
        #expect(hooks[0].attributes == WebhookAttributes([.url: "https://hooks.example.com/raw", .kind: "meta", .secretKey: "s"]))
        #expect(hooks[1].attributes[.events] == ["whatsapp.message.received"])
        #expect(hooks[1].attributes[.payloadVersion] == "v1")
    }

    @Test func aNumberInSeveralFilesIsOneEntry() throws {
        let a = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"\(number)\"\n    webhooks:\n      - {url: https://a.example.com, secret_key: s, events: [whatsapp.message.sent]}\n"
        let b = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \(number)\n    name: support\n    webhooks:\n      - {url: https://b.example.com, secret_key: s, events: [whatsapp.message.sent]}\nproject:\n  prune: true\n  webhooks: []\n"
        let state = try loadSpecs([("a.yaml", a), ("b.yaml", b)]).get()
        #expect(state.api == .platform)
        #expect(state.configs.map(\.scope) == [.phoneNumber(number), .project])
        #expect(state.configs[0].webhooks.map(\.url) == ["https://a.example.com", "https://b.example.com"])
        #expect(state.configs[0].name == "support")
        #expect(state.configs[1].prune)
    }

    @Test func theDefaultAPIURLFollowsTheGeneration() {
        #expect(KapsoClient.defaultBaseURL(for: .legacy) == "https://app.kapso.ai/api/v1")
        #expect(KapsoClient.defaultBaseURL(for: .platform) == "https://api.kapso.ai/platform/v1")
    }
}
