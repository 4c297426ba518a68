import Foundation
import Testing
@testable import KapsoKit

private let hookID = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"
private let otherID = "1e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"

/// The configs of a spec given as YAML text.
private func desired(_ yaml: String, environment: [String: String] = [:]) throws -> [DesiredConfig] {
    try loadSpec(yaml, environment: environment).get().configs
}

/// A server webhook with the legacy API's defaults filled in.
private func server(_ id: String = hookID, url: String = "https://hooks.example.com/a", secret: String? = "s",
                    events: [String] = ["whatsapp.message.received"], active: Bool = true, headers: [String: String]? = [:],
                    bufferEnabled: Bool = false, window: Int? = 5, size: Int? = 50,
                    bufferEvents: [String]? = ["whatsapp.message.received"], inactivity: Int = 60) -> ServerWebhook {
    var attributes = WebhookAttributes([.url: .string(url), .events: .list(events), .active: .bool(active), .bufferEnabled: .bool(bufferEnabled),
                                        .inactivityMinutes: .int(inactivity)])
    attributes[.secretKey] = secret.map(FieldValue.string)
    attributes[.headers] = headers.map(FieldValue.map)
    attributes[.bufferWindowSeconds] = window.map(FieldValue.int)
    attributes[.maxBufferSize] = size.map(FieldValue.int)
    attributes[.bufferEvents] = bufferEvents.map(FieldValue.list)
    return ServerWebhook(id: id, attributes: attributes)
}

private func plan(_ yaml: String, _ hooks: [ServerWebhook], options: PlanOptions = PlanOptions(),
                  environment: [String: String] = [:]) throws -> Plan {
    try Planner.plan(try desired(yaml, environment: environment), observed: ObservedState(webhooks: [.config(configA): hooks]), options: options)
}

private func failure(_ yaml: String, _ hooks: [ServerWebhook]) throws -> [String] {
    let configs = try desired(yaml)
    do {
        _ = try Planner.plan(configs, observed: ObservedState(webhooks: [.config(configA): hooks]))
        Issue.record("planned")
        return []
    } catch {
        return error.messages
    }
}

@Suite struct PlannerTests {
    @Test func missingWebhookIsCreatedWithEveryManagedAttribute() throws {
        let p = try plan(oneWebhook("secret_key: s\nevents: [whatsapp.message.sent]\nactive: false"), [])
        let change = try #require(p.changes.first)
        #expect(change.action == .create)
        #expect(change.webhookID == nil)
        #expect(change.body == WebhookAttributes([.url: "https://hooks.example.com/a", .secretKey: "s", .events: ["whatsapp.message.sent"], .active: false]))
        #expect(change.fields.map(\.name) == ["url", "secret_key", "events", "active"])
        #expect(change.fields.first { $0.name == "secret_key" }?.sensitive == true)
        #expect(p.summary == summary(create: 1))
    }

    @Test func createNeedsSecretAndEvents() throws {
        let messages = try failure(oneWebhook("active: true"), [])
        #expect(messages == ["spec.yaml:5:9: config \(configA): the webhook https://hooks.example.com/a does not exist on the server and must be created, but it does not set 'secret_key' and 'events' (the API requires url, secret_key and events on create)"])
    }

    @Test func equalAfterNormalisationIsUnchanged() throws {
        let yaml = oneWebhook("""
        secret_key: s
        events: [whatsapp.message.sent, whatsapp.message.received]
        headers: {x-team: blue}
        active: true
        """)
        let hook = server(events: ["whatsapp.message.received", "whatsapp.message.sent"], headers: ["X-Team": "blue"])
        let p = try plan(yaml, [hook])
        #expect(p.changes.map(\.action) == [.unchanged])
        #expect(p.changes[0].body == nil)
        // `null` headers on the server equal `{}` in the spec.
        let empty = try plan(oneWebhook("headers: {}"), [server(headers: nil)])
        #expect(empty.changes.map(\.action) == [.unchanged])
    }

    @Test func attributesLeftOutAreNeverCompared() throws {
        let hook = server(secret: "other", events: ["whatsapp.message.failed"], active: false, headers: ["A": "b"], inactivity: 5)
        let p = try plan(oneWebhook("buffer_enabled: false"), [hook])
        #expect(p.changes.map(\.action) == [.unchanged])
    }

    @Test func updateCarriesOnlyTheDifferingAttributes() throws {
        let yaml = oneWebhook("""
        secret_key: s
        events: [whatsapp.message.received, whatsapp.message.read]
        active: false
        headers: {X-Team: blue, X-Env: prod}
        inactivity_minutes: 60
        """)
        let hook = server(events: ["whatsapp.message.received"], headers: ["X-Team": "blue"])
        let change = try #require(try plan(yaml, [hook]).changes.first)
        #expect(change.action == .update)
        #expect(change.webhookID == hookID)
        #expect(change.body == WebhookAttributes([.events: ["whatsapp.message.received", "whatsapp.message.read"], .active: false,
                                                 .headers: ["X-Team": "blue", "X-Env": "prod"]]))
        #expect(change.fields.map(\.name) == ["events", "active", "headers"])
        #expect(change.fields[1] == FieldChange(name: "active", before: .bool(true), after: .bool(false)))
    }

    @Test func undeclaredWebhooksAreUnmanagedUnlessPruned() throws {
        let extra = server(otherID, url: "https://old.example.com")
        let unpruned = try plan("version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks: []\n", [extra])
        #expect(unpruned.changes.map(\.action) == [.unmanaged])
        #expect(unpruned.changes[0].body == nil)
        let configPrune = try plan("version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    prune: true\n    webhooks: []\n", [extra])
        #expect(configPrune.changes.map(\.action) == [.delete])
        #expect(configPrune.changes[0].webhookID == otherID)
        let flagPrune = try plan("version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks: []\n", [extra],
                                 options: PlanOptions(prune: true))
        #expect(flagPrune.changes.map(\.action) == [.delete])
    }

    @Test func pinnedWebhookMayChangeItsURL() throws {
        let yaml = oneWebhook("id: \(hookID.uppercased())", url: "https://hooks.example.com/moved")
        let change = try #require(try plan(yaml, [server()]).changes.first)
        #expect(change.action == .update)
        #expect(change.body == WebhookAttributes([.url: "https://hooks.example.com/moved"]))
        #expect(change.fields == [FieldChange(name: "url", before: .string("https://hooks.example.com/a"), after: .string("https://hooks.example.com/moved"))])
    }

    /// Ids compare case-insensitively whichever side writes capitals (a server's too, and letters
    /// beyond ASCII): a pin finds its webhook, a URL match claims it, and neither is also listed
    /// as unmanaged; the request goes to the id as the server wrote it.
    @Test func idsCompareWithoutCase() throws {
        let upper = hookID.uppercased()
        let pinned = try plan(oneWebhook("id: \(hookID)", url: "https://hooks.example.com/moved"), [server(upper)])
        #expect(pinned.changes.map(\.action) == [.update] && pinned.changes[0].webhookID == upper)
        let byURL = try plan(oneWebhook("active: false"), [server(upper)])
        #expect(byURL.changes.map(\.action) == [.update] && byURL.changes[0].webhookID == upper)
        #expect(Planner.idKey("ÉTÉ-\(upper)") == "été-\(hookID)" && Planner.idKey(hookID) == hookID)
    }

    @Test func pinToAMissingWebhookIsAnError() throws {
        let messages = try failure(oneWebhook("id: \(otherID)"), [server()])
        #expect(messages == ["spec.yaml:5:9: config \(configA): no webhook with id \(otherID) exists on the server; remove the 'id' pin to create a new webhook"])
    }

    @Test func severalServerWebhooksWithTheURLAreAnErrorNamingThem() throws {
        let messages = try failure(oneWebhook("active: true"), [server(hookID), server(otherID)])
        #expect(messages == ["spec.yaml:5:9: config \(configA): 2 webhooks on the server have the url https://hooks.example.com/a (ids \(otherID), \(hookID)); pin the one to manage with 'id:'"])
    }

    @Test func aPinTakesItsWebhookOutOfURLMatching() throws {
        let yaml = """
        version: 1
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - {url: https://hooks.example.com/a, id: \(hookID), active: false}
              - {url: https://hooks.example.com/a, active: true}
        """
        let p = try plan(yaml, [server(hookID), server(otherID)])
        #expect(p.changes.map(\.action) == [.update, .unchanged])
        #expect(p.changes.map(\.webhookID) == [hookID, otherID])
    }

    @Test func hiddenSecretsAreUnverifiableAndSentOnlyWhenRotating() throws {
        for hidden in [nil, "", "****", "ab••••cd"] as [String?] {
            let p = try plan(oneWebhook("secret_key: s"), [server(secret: hidden)])
            #expect(p.changes[0].action == .unchanged)
            #expect(p.changes[0].unverifiable == ["secret_key"])
            let rotated = try plan(oneWebhook("secret_key: s"), [server(secret: hidden)], options: PlanOptions(rotateSecrets: true))
            #expect(rotated.changes[0].action == .update)
            #expect(rotated.changes[0].body == WebhookAttributes([.secretKey: "s"]))
        }
    }

    @Test func differingSecretIsASensitiveUpdate() throws {
        let change = try plan(oneWebhook("secret_key: new"), [server(secret: "old")]).changes[0]
        #expect(change.action == .update)
        #expect(change.body == WebhookAttributes([.secretKey: "new"]))
        #expect(change.fields.map(\.sensitive) == [true])
    }

    @Test func bufferFieldsAreIgnoredWhileBufferingIsOff() throws {
        let inherited = """
        version: 1
        defaults: {buffer_window_seconds: 10, max_buffer_size: 20}
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - {url: https://hooks.example.com/a, buffer_enabled: false}
        """
        #expect(try plan(inherited, [server()]).changes[0].action == .unchanged)
        // Written on the webhook itself, they are managed even with buffering off.
        let explicit = oneWebhook("buffer_enabled: false\nbuffer_window_seconds: 10")
        #expect(try plan(explicit, [server()]).changes[0].body == WebhookAttributes([.bufferWindowSeconds: 10]))
        // A server that nulls them while buffering is off (Platform style) is not asked to change.
        let nulled = server(window: nil, size: nil, bufferEvents: nil)
        #expect(try plan(explicit, [nulled]).changes[0].action == .unchanged)
        // With buffering on, inherited values are compared.
        let on = inherited.replacingOccurrences(of: "buffer_enabled: false", with: "buffer_enabled: true")
        #expect(try plan(on, [server(bufferEnabled: true)]).changes[0].body == WebhookAttributes([.bufferWindowSeconds: 10, .maxBufferSize: 20]))
    }

    @Test func sensitiveHeaderNamesAreMarked() throws {
        let yaml = oneWebhook("headers: {Authorization: \"Bearer ${TOKEN}\", X-Plain: \"${PLAIN}\", X-Team: a}")
        let hook = server(headers: ["authorization": "Bearer old", "X-Team": "a", "Cookie": "c"])
        let change = try plan(yaml, [hook], environment: ["TOKEN": "t", "PLAIN": "p"]).changes[0]
        #expect(change.fields.first?.sensitiveHeaders == ["authorization", "x-plain", "cookie"])
    }

    @Test func outputOrderIsDeclaredThenLeftoversByURL() throws {
        let yaml = """
        version: 1
        configs:
          - whatsapp_config_id: \(configB)
            webhooks: [{url: https://z.example.com, secret_key: s, events: [whatsapp.message.sent]}]
          - whatsapp_config_id: \(configA)
            webhooks:
              - {url: https://b.example.com, secret_key: s, events: [whatsapp.message.sent]}
              - {url: https://a.example.com, secret_key: s, events: [whatsapp.message.sent]}
        """
        let p = try Planner.plan(try desired(yaml), observed: ObservedState(webhooks: [
            .config(configA): [server(otherID, url: "https://y.example.com"), server(hookID, url: "https://x.example.com")],
        ]))
        #expect(p.configs.map(\.scope.id) == [configA, configB])
        #expect(p.changes.map(\.displayURL) == ["https://b.example.com", "https://a.example.com", "https://x.example.com",
                                         "https://y.example.com", "https://z.example.com"])
        #expect(p.summary == summary(create: 3, unmanaged: 2))
        #expect(p.summary.line == "Plan: 3 to create, 0 to update, 0 to delete, 0 unchanged, 2 unmanaged.")
    }

    private func summary(create: Int = 0, update: Int = 0, delete: Int = 0, unchanged: Int = 0, unmanaged: Int = 0) -> PlanSummary {
        var s = PlanSummary()
        s.create = create
        s.update = update
        s.delete = delete
        s.unchanged = unchanged
        s.unmanaged = unmanaged
        return s
    }
}

@Suite struct URLIdentityTests {
    @Test func schemeHostAndDefaultPortDoNotMakeADifferentWebhook() throws {
        #expect(URLIdentity.normalized("HTTPS://Hooks.Example.COM:443/A?b=C") == "https://hooks.example.com/A?b=C")
        #expect(URLIdentity.normalized("http://LOCALHOST:80/x") == "http://localhost/x")
        #expect(URLIdentity.normalized("https://a.example.com:8443/x") == "https://a.example.com:8443/x")
        #expect(!URLIdentity.same("https://a.example.com/x", "https://a.example.com/X"))
        // Issue 16: a server that stores a trailing slash or lowercase percent-hex made every apply create again.
        #expect(URLIdentity.same("https://a.example.com/x", "https://a.example.com/x/"))
        #expect(URLIdentity.same("https://a.example.com", "https://a.example.com/"))
        #expect(URLIdentity.same("https://a.example.com/a%2fb?q=%7e", "https://a.example.com/a%2Fb?q=%7E"))
        #expect(!URLIdentity.same("https://a.example.com/a%2Fb", "https://a.example.com/a/b"))
        #expect(!URLIdentity.same("https://a.example.com/x?a=1", "https://a.example.com/x?a=2"))
        // The fast path agrees with the full parse.
        for url in ["https://a.example.com/x/", "https://a.example.com/x%2f", "https://a.example.com/x", "https://a.example.com/x/?q=1", "https://a.example.com"] {
            #expect(URLIdentity.normalized(url) == URLIdentity.parsedNormal(url), "\(url)")
        }
        // A server that stored the URL normalised still matches the declaration: no duplicate create.
        let yaml = oneWebhook("active: true", url: "HTTPS://Hooks.Example.com:443/a")
        let hook = ServerWebhook(id: "w1", attributes: WebhookAttributes([.url: "https://hooks.example.com/a", .active: true]))
        let plan = try Planner.plan(try loadSpec(yaml).get().configs, observed: ObservedState(webhooks: [.config(configA): [hook]]))
        #expect(plan.changes.map(\.action) == [.unchanged])
    }

    @Test func specEntriesDifferingOnlyByHostCaseCollide() {
        let yaml = """
        version: 1
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - url: https://hooks.example.com/a
              - url: https://HOOKS.example.com/a
        """
        guard case .failure(let failure) = loadSpec(yaml) else { Issue.record("accepted"); return }
        #expect(failure.diagnostics.count == 2)
        #expect(failure.diagnostics[0].message.contains("have the same url https://hooks.example.com/a"))
    }
}

@Suite struct URLIdentityFastPathTests {
    /// The shortcut for already-normal URLs must agree with the full parse.
    @Test(arguments: ["https://a.example.com/x", "https://A.example.com/x", "HTTPS://a.example.com/x", "https://a.example.com:443/x",
                      "https://u@a.example.com/x", "https://a.example.com?q=A", "https://a.example.com#F", "http://[::1]:80/x",
                      "https://a.example.com/Path/X", "not a url", "mailto:a@example.com"])
    func fastPathAgreesWithTheParse(_ url: String) {
        #expect(URLIdentity.normalized(url) == URLIdentity.parsedNormal(url))
    }
}
