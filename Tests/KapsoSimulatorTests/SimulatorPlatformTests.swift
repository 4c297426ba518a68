import Foundation
import KapsoKit
import KapsoSimulator
import Testing

private let number = "1234567890"
private let other = "5550001111"

/// A seed with two numbers (the first on the legacy config `configID`, with one webhook) and no
/// project webhook; `project.event` as asked.
private func platformSeed(projectEvent: Bool = false) throws -> SimulatorSeed {
    try SimulatorSeed.parse(json: """
    {"configs": {"\(configID)": [{"url": "https://legacy.example.com/a", "secret_key": "s", "events": ["whatsapp.message.sent"]}]},
     "phone_numbers": [{"phone_number_id": "\(number)", "internal_id": "\(configID)", "name": "support"},
                       {"phone_number_id": \(other)}],
     "features": {"project_event": \(projectEvent)}}
    """)
}

private func body(_ fields: String) -> String { #"{"whatsapp_webhook": {\#(fields)}}"# }

@Suite struct SimulatorPlatformTests {
    /// Phone numbers as the OpenAPI document has them (issue 18, item 5): `id` is Meta's number id,
    /// with `internal_id` and timestamps; the list's documented filters; one number by id.
    @Test func phoneNumbersAsDocumented() async throws {
        try await withSimulator(try platformSeed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let numbers = try await call("GET", url, "/whatsapp/phone_numbers")
            let first = numbers.json?["data"]?.array?.first
            #expect(first?["id"] == .string(number) && first?["internal_id"] == .string(configID), "\(String(describing: first))")
            #expect(first?["created_at"]?.string.flatMap(ISOTime.seconds) != nil && first?["updated_at"] != nil)
            let byID = try await call("GET", url, "/whatsapp/phone_numbers?phone_number_id=\(other)")
            #expect(byID.json?["data"]?.array?.compactMap { $0["id"]?.string } == [other])
            let byName = try await call("GET", url, "/whatsapp/phone_numbers?name_contains=SUPP")
            #expect(byName.json?["data"]?.array?.compactMap { $0["id"]?.string } == [number])
            let one = try await call("GET", url, "/whatsapp/phone_numbers/\(number)")
            #expect(one.status == 200 && one.json?["data"]?["name"] == .string("support"))
            #expect(try await call("GET", url, "/whatsapp/phone_numbers/999").status == 404)
        }
    }

    /// A project-level create naming an unknown number is 404; a meta webhook's events become `[]`.
    @Test func createsAnswerAsDocumented() async throws {
        try await withSimulator(try platformSeed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let unknown = try await call("POST", url, "/whatsapp/webhooks",
                                         body: body(#""url": "https://a.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"], "phone_number_id": "999""#))
            #expect(unknown.status == 404, "\(String(describing: unknown.json))")
            let meta = try await call("POST", url, "/whatsapp/phone_numbers/\(number)/webhooks",
                                      body: body(#""url": "https://meta.example.com", "secret_key": "s", "kind": "meta", "events": ["whatsapp.message.sent"]"#))
            #expect(meta.status == 201 && meta.json?["data"]?["events"] == .array([]), "\(String(describing: meta.json))")
            // Fields the request schema marks nullable take null.
            let nulls = try await call("POST", url, "/whatsapp/phone_numbers/\(number)/webhooks",
                                       body: body(#""url": "https://n.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"], "inactivity_minutes": null, "buffer_window_seconds": null, "headers": null"#))
            #expect(nulls.status == 201 && nulls.json?["data"]?["inactivity_minutes"] == .null, "\(String(describing: nulls.json))")
            // A number's list filters by creation time: the seeded webhook is from 2025-01-01, these from now.
            let recent = try await call("GET", url, "/whatsapp/phone_numbers/\(number)/webhooks?created_after=2025-06-01T00:00:00Z")
            #expect(recent.json?["data"]?.array?.compactMap { $0["url"]?.string }.sorted() == ["https://meta.example.com", "https://n.example.com"])
            let old = try await call("GET", url, "/whatsapp/phone_numbers/\(number)/webhooks?created_before=2025-06-01T00:00:00Z")
            #expect(old.json?["data"]?.array?.compactMap { $0["url"]?.string } == ["https://legacy.example.com/a"])
            #expect(try await call("GET", url, "/whatsapp/phone_numbers/\(number)/webhooks?created_after=yesterday").status == 422)
        }
    }

    @Test func numbersAndWebhooksAreListedWithPaginationHeaders() async throws {
        try await withSimulator(try platformSeed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let numbers = try await call("GET", url, "/whatsapp/phone_numbers")
            #expect(numbers.status == 200)
            #expect(numbers.json?["data"]?.array?.compactMap { $0["phone_number_id"]?.string } == [number, other])
            #expect(numbers.headers["x-total"] == "2" && numbers.headers["x-total-pages"] == "1" && numbers.headers["x-per-page"] == "20")
            // The legacy config's webhook is the number's, seen through the Platform API with its defaults.
            let all = try await call("GET", url, "/whatsapp/webhooks")
            let hook = all.json?["data"]?.array?.first
            #expect(hook?["phone_number_id"] == .string(number))
            #expect(hook?["kind"] == .string("kapso"))
            #expect(hook?["payload_version"] == .string("v2"))
            // Buffering off: null window and size, no buffered events.
            #expect(hook?["buffer_window_seconds"] == .null && hook?["max_buffer_size"] == .null && hook?["buffer_events"] == .array([]))
            #expect(all.headers["x-total"] == "1" && all.headers["x-page"] == "1")
            let unknown = try await call("GET", url, "/whatsapp/phone_numbers/999/webhooks")
            #expect(unknown.status == 404)
            #expect(unknown.json == .object(["error": .string("Phone number not found")]))
        }
    }

    /// Lists keep each webhook's JSON between requests: a change by either API's PATCH, a delete
    /// and a create are listed at once (it failed with copies kept by id alone), and a page's bytes
    /// are what the page's JSON value serialises to.
    @Test func listsAreNeverStale() async throws {
        try await withSimulator(try platformSeed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            func listed() async throws -> (hook: JSONValue?, body: Data) {
                let all = try await call("GET", url, "/whatsapp/webhooks")
                return (all.json?["data"]?.array?.first, all.body)
            }
            let before = try await listed()
            let id = try #require(before.hook?["id"]?.string)
            // The bytes are the compact, key-sorted JSON of the value they parse to.
            #expect(try JSONValue.parse(before.body).serialized() == before.body)
            for (index, (base, route)) in [(url, "/whatsapp/webhooks/\(id)"), (legacy, "/whatsapp_configs/\(configID)/whatsapp_webhooks/\(id)")].enumerated() {
                let changed = "https://changed-\(index).example.com/a"
                let patch = try await call("PATCH", base, route, body: body(#""url": "\#(changed)", "active": \#(index == 0 ? "false" : "true")"#))
                #expect(patch.status == 200, "\(String(describing: patch.json))")
                let after = try await listed()
                #expect(after.hook?["url"] == .string(changed) && after.hook?["active"] == .bool(index != 0), "\(String(describing: after.hook))")
                #expect(try JSONValue.parse(after.body).serialized() == after.body)
            }
            // A deleted webhook is not listed, and one created in its place is.
            #expect(try await call("DELETE", url, "/whatsapp/webhooks/\(id)").status == 204)
            #expect(try await listed().hook == nil)
            let created = try await call("POST", url, "/whatsapp/phone_numbers/\(number)/webhooks",
                                         body: body(#""url": "https://new.example.com", "events": ["whatsapp.message.sent"]"#))
            #expect(try await listed().hook?["id"] == created.json?["data"]?["id"])
        }
    }

    @Test func createsFollowTheKindAndScopeRules() async throws {
        try await withSimulator(try platformSeed()) { simulator, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let route = "/whatsapp/phone_numbers/\(number)/webhooks"
            // A number's kapso webhook needs secret and events; a meta webhook has no events.
            #expect(try await call("POST", url, route, body: body(#""url": "https://a.example.com", "secret_key": "s""#)).status == 422)
            let meta = try await call("POST", url, route, body: body(#""url": "https://meta.example.com", "secret_key": "s", "kind": "meta""#))
            #expect(meta.status == 201)
            #expect(meta.json?["data"]?["events"] == .array([]) && meta.json?["data"]?["payload_version"] == .null)
            let second = try await call("POST", url, route, body: body(#""url": "https://meta2.example.com", "secret_key": "s", "kind": "meta""#))
            #expect(second.status == 422)
            #expect(second.json == .object(["error": .string("this phone number already has a meta webhook")]))
            let buffered = try await call("POST", url, "/whatsapp/phone_numbers/\(other)/webhooks",
                                          body: body(#""url": "https://m.example.com", "secret_key": "s", "kind": "meta", "buffer_enabled": true"#))
            #expect(buffered.json == .object(["error": .string("a meta webhook cannot buffer")]))
            // Events by scope.
            let projectEventOnNumber = try await call("POST", url, route,
                                                      body: body(#""url": "https://b.example.com", "secret_key": "s", "events": ["workflow.execution.failed"]"#))
            #expect(projectEventOnNumber.json == .object(["error": .string("events contains workflow.execution.failed, which is for project webhooks")]))
            let numberEventOnProject = try await call("POST", url, "/whatsapp/webhooks",
                                                      body: body(#""url": "https://p.example.com", "events": ["whatsapp.message.sent"]"#))
            #expect(numberEventOnProject.json == .object(["error": .string("events contains whatsapp.message.sent, which is for phone-number webhooks")]))
            // A project webhook needs only its URL; phone_number_id in the body scopes it to a number.
            let project = try await call("POST", url, "/whatsapp/webhooks", body: body(#""url": "https://p.example.com""#))
            #expect(project.status == 201 && project.json?["data"]?["phone_number_id"] == .null)
            let scoped = try await call("POST", url, "/whatsapp/webhooks",
                                        body: body(#""url": "https://s.example.com", "secret_key": "s", "events": ["whatsapp.message.read"], "phone_number_id": "\#(other)""#))
            #expect(scoped.status == 201 && scoped.json?["data"]?["phone_number_id"] == .string(other))
            // project.event needs a plan that has it.
            let paid = try await call("POST", url, "/whatsapp/webhooks", body: body(#""url": "https://e.example.com", "events": ["project.event"]"#))
            #expect(paid.status == 402)
            #expect(paid.json == .object(["error": .string("project.event requires a paid plan")]))
            // Through the legacy API the number's new webhooks are its config's, without Platform fields.
            let legacyView = await simulator.store.webhooks(configID: configID) ?? []
            #expect(legacyView.count == 2 && legacyView.allSatisfy { $0["kind"] == nil })
        }
    }

    @Test func kindAndNumberCannotChangeAndTheTestRouteAnswers() async throws {
        try await withSimulator(try platformSeed(projectEvent: true)) { simulator, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let created = try await call("POST", url, "/whatsapp/phone_numbers/\(number)/webhooks",
                                         body: body(#""url": "https://k.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"]"#))
            let id = try #require(created.json?["data"]?["id"]?.string)
            let kind = try await call("PATCH", url, "/whatsapp/webhooks/\(id)", body: body(#""kind": "meta""#))
            #expect(kind.json == .object(["error": .string("kind cannot be changed")]))
            let move = try await call("PATCH", url, "/whatsapp/phone_numbers/\(number)/webhooks/\(id)", body: body(#""phone_number_id": "\#(other)""#))
            #expect(move.json == .object(["error": .string("phone_number_id cannot be changed")]))
            let version = try await call("PATCH", url, "/whatsapp/webhooks/\(id)", body: body(#""payload_version": "v1""#))
            #expect(version.status == 200 && version.json?["data"]?["payload_version"] == .string("v1"))
            // A webhook is reached through its own number only.
            #expect(try await call("GET", url, "/whatsapp/phone_numbers/\(other)/webhooks/\(id)").status == 404)
            let test = try await call("POST", url, "/whatsapp/webhooks/\(id)/test", body: #"{"event_type": "whatsapp.message.sent"}"#)
            #expect(test.status == 200 && test.json == .object(["data": .object(["success": .bool(true)])]))
            #expect(await simulator.store.journal().last?.path == "/platform/v1/whatsapp/webhooks/\(id)/test")
            // An event the webhook does not receive is refused; a URL off loopback is never contacted.
            let other = try await call("POST", url, "/whatsapp/webhooks/\(id)/test", body: #"{"event_type": "whatsapp.message.read"}"#)
            #expect(other.status == 422 && other.json == .object(["error": .string("event_type must be one of the events the webhook is configured to receive")]))
            #expect(try await call("POST", url, "/whatsapp/webhooks/\(id)/test", body: "not json").status == 400)
            #expect(try await call("POST", url, "/whatsapp/webhooks/00000000-0000-4000-8000-000000000000/test", body: "{}").status == 404)
            await simulator.store.waitForDeliveries(1)
            let delivery = await simulator.store.deliveries()
            #expect(delivery.map(\.failure) == ["not sent: not on loopback"] && delivery.map(\.event) == ["whatsapp.message.sent"], "\(delivery)")
            let paid = try await call("POST", url, "/whatsapp/webhooks", body: body(#""url": "https://e.example.com", "events": ["project.event"]"#))
            #expect(paid.status == 201)
            #expect(try await call("DELETE", url, "/whatsapp/webhooks/\(id)").status == 204)
            #expect(try await call("GET", url, "/whatsapp/webhooks/\(id)").status == 404)
        }
    }

    @Test func faultsApplyToThePlatformAPITooAndSeedsAreChecked() async throws {
        var faults = FaultPlan()
        faults.rateLimitFirst = 1
        try await withSimulator(try platformSeed(), faults: faults) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            let limited = try await call("GET", url, "/whatsapp/webhooks")
            #expect(limited.status == 429)
            let served = try await call("GET", url, "/whatsapp/webhooks")
            #expect(served.status == 200)
        }
        #expect(throws: SeedError.self) {
            _ = try SimulatorStore(seed: try SimulatorSeed.parse(json: """
            {"phone_numbers": [{"phone_number_id": "1", "webhooks": [{"url": "https://a.example.com", "secret_key": "s", "events": ["project.event"]}]}]}
            """), apiKey: "k")
        }
    }
}
