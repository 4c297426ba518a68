import Testing
@testable import KapsoKit

/// Kapso's catalogue of 27 events, each first-class in its scope.
@Suite struct EventCatalogueTests {
    @Test func theCatalogueHas27Names() {
        #expect(EventNames.all.count == 27 && Set(EventNames.all).count == 27)
        #expect(EventNames.configScope.count == 10 && EventNames.projectScope.count == 17)
        #expect(EventNames.payloadV2Only.isSubset(of: Set(EventNames.projectScope)))
        #expect(EventNames.all.allSatisfy(EventNames.isWellFormed))
    }

    /// Every number-scope event on a legacy config and on a number, every project event on the
    /// project: no `extra_events` needed.
    @Test func everyEventIsTakenInItsScope() {
        let legacy = oneWebhook("events: [\(EventNames.configScope.joined(separator: ", "))]")
        guard case .success(let state) = loadSpec(legacy) else { Issue.record("\(loadSpec(legacy))"); return }
        #expect(state.configs[0].webhooks[0].attributes.events == EventNames.configScope)
        let number = onePlatformWebhook("secret_key: s\nevents: [\(EventNames.configScope.joined(separator: ", "))]")
        #expect((try? loadSpec(number).get()) != nil, "\(loadSpec(number))")
        let project = oneProjectWebhook("secret_key: s\nevents: [\(EventNames.projectScope.joined(separator: ", "))]")
        guard case .success(let platform) = loadSpec(project) else { Issue.record("\(loadSpec(project))"); return }
        #expect(platform.configs[0].webhooks[0].attributes.events == EventNames.projectScope)
    }

    /// An event of the other scope is an error naming the scope it belongs to.
    @Test func anEventOfTheOtherScopeNamesItsScope() {
        let onNumber = diagnostics(onePlatformWebhook("secret_key: s\nevents: [kapso_agent.run.completed]"))
        #expect(onNumber.map(\.message) == ["event 'kapso_agent.run.completed' is only for project webhooks; declare this webhook under 'project' to subscribe to it"])
        let onProject = diagnostics(oneProjectWebhook("events: [whatsapp.contact.identity_changed]"))
        #expect(onProject.count == 1 && onProject[0].message.hasPrefix("event 'whatsapp.contact.identity_changed' is for a phone number's webhooks"), "\(onProject)")
        let onConfig = diagnostics(oneWebhook("events: [whatsapp.account.violation]"))
        #expect(onConfig.map(\.message) == ["event 'whatsapp.account.violation' is only for project-scoped webhooks (Platform API); a WhatsApp config cannot subscribe to it"])
    }

    /// Three project events are sent only in the v2 payload.
    @Test func v2OnlyEventsRefuseV1() {
        let own = diagnostics(oneProjectWebhook("payload_version: v1\nevents: [whatsapp.phone_number.disconnected, whatsapp.phone_number.created]"))
        #expect(own.map { "\($0.line):\($0.column) \($0.message)" } == [
            "7:16 event 'whatsapp.phone_number.disconnected' is sent only in the v2 payload, and this webhook has 'payload_version: v1'; remove it or use v2 (the default)",
        ], "\(own)")
        let inherited = """
            version: 1
            api: platform
            defaults: {payload_version: v1}
            project:
              webhooks:
                - {url: https://ops.example.com/p, events: [whatsapp.phone_number.reconnected]}
            """
        #expect(diagnostics(inherited).map(\.message) == ["event 'whatsapp.phone_number.reconnected' is sent only in the v2 payload, and this webhook has 'payload_version: v1' (from 'defaults'); remove it or use v2 (the default)"])
        #expect((try? loadSpec(oneProjectWebhook("events: [whatsapp.phone_number.offboarded]")).get()) != nil)
    }

    @Test func aMisspeltNewEventGetsAHint() {
        let found = diagnostics(oneProjectWebhook("events: [kapso_agent.run.complete]"))
        #expect(found.first?.message.contains("did you mean 'kapso_agent.run.completed'?") == true, "\(found)")
    }

    /// Kapso's 422 for an event it does not take, read into the names.
    @Test func refusedEventsAreRead() {
        #expect(APIError.refusedEvents("Events contains unsupported events: \"acme.thing.done\"") == ["acme.thing.done"])
        #expect(APIError.refusedEvents("Events contains unsupported events: \"a.b\", \"c.d\"") == ["a.b", "c.d"])
        #expect(APIError.refusedEvents("Url has already been taken") == nil)
        let error = APIError(method: "POST", path: "/whatsapp/webhooks", reason: .status(422),
                             serverMessage: "Events contains unsupported events: \"acme.thing.done\"")
        #expect(error.description.contains("Kapso does not take the event 'acme.thing.done' on this webhook"), "\(error)")
    }
}
