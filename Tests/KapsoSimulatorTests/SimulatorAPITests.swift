import Foundation
import KapsoKit
import KapsoSimulator
import Testing

@Suite struct SimulatorAPITests {
    let hooks = "/whatsapp_configs/\(configID)/whatsapp_webhooks"

    @Test func missingOrWrongKeyIs401() async throws {
        try await withSimulator(seed(count: 1)) { _, url in
            for key in [nil, "wrong"] as [String?] {
                let answer = try await call("GET", url, hooks, key: key)
                #expect(answer.status == 401)
                #expect(answer.json == .object(["error": .string("Unauthorized")]))
            }
        }
    }

    @Test func unknownConfigWebhookAndRouteAre404() async throws {
        try await withSimulator(seed(count: 1)) { _, url in
            let config = try await call("GET", url, "/whatsapp_configs/\(otherConfigID)/whatsapp_webhooks")
            #expect(config.status == 404)
            #expect(config.json == .object(["error": .string("WhatsApp config not found")]))
            let hook = try await call("GET", url, "\(hooks)/00000000-0000-4000-8000-000000000000")
            #expect(hook.status == 404)
            #expect(hook.json == .object(["error": .string("Webhook not found")]))
            for (method, path) in [("PATCH", "\(hooks)/00000000-0000-4000-8000-000000000000"), ("GET", "/nope")] {
                let answer = try await call(method, url, path, body: method == "PATCH" ? "{\"whatsapp_webhook\": {}}" : nil)
                #expect(answer.status == 404)
            }
        }
    }

    @Test func paginationDefaultsMaximumAndMeta() async throws {
        try await withSimulator(seed(count: 45)) { _, url in
            let first = try await call("GET", url, hooks)
            #expect(first.status == 200)
            #expect(first.json?["data"]?.array?.count == 20)
            #expect(first.json?["meta"] == .object(["page": .int(1), "per_page": .int(20), "total_pages": .int(3), "total_count": .int(45)]))
            // Most recent first: the last seeded webhook leads.
            #expect(first.json?["data"]?.array?.first?["url"]?.string == "https://hooks.example.com/44")
            let third = try await call("GET", url, "\(hooks)?page=3")
            #expect(third.json?["data"]?.array?.map { $0["url"]?.string } == (0..<5).reversed().map { "https://hooks.example.com/\($0)" })
            let big = try await call("GET", url, "\(hooks)?per_page=500")
            #expect(big.json?["meta"]?["per_page"] == .int(100))
            #expect(big.json?["data"]?.array?.count == 45)
            let beyond = try await call("GET", url, "\(hooks)?page=9&per_page=10")
            #expect(beyond.json?["data"] == .array([]))
            for bad in ["page=0", "per_page=0", "page=x"] {
                let answer = try await call("GET", url, "\(hooks)?\(bad)")
                #expect(answer.status == 422, "\(bad)")
            }
        }
    }

    @Test func filtersByURLAndActive() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(configID)": [
          {"url": "https://a.example.com/orders", "secret_key": "s", "events": ["whatsapp.message.sent"]},
          {"url": "https://a.example.com/support", "secret_key": "s", "events": ["whatsapp.message.sent"], "active": false},
          {"url": "https://b.example.com/orders", "secret_key": "s", "events": ["whatsapp.message.sent"]}
        ]}}
        """)
        try await withSimulator(seed) { _, url in
            let orders = try await call("GET", url, "\(hooks)?q%5Burl_cont%5D=orders")
            #expect(orders.json?["data"]?.array?.compactMap { $0["url"]?.string } == ["https://b.example.com/orders", "https://a.example.com/orders"])
            let inactive = try await call("GET", url, "\(hooks)?q%5Bactive_eq%5D=false")
            #expect(inactive.json?["data"]?.array?.compactMap { $0["url"]?.string } == ["https://a.example.com/support"])
        }
    }

    @Test func createAppliesDocumentedDefaults() async throws {
        try await withSimulator(seed(count: 0)) { _, url in
            let answer = try await call("POST", url, hooks, body: """
            {"whatsapp_webhook": {"url": "https://new.example.com/h", "secret_key": "k", "events": ["whatsapp.message.read"], "ignored_field": 1}}
            """)
            #expect(answer.status == 201)
            guard case .object(var data)? = answer.json?["data"] else { Issue.record("no data"); return }
            #expect(UUID(uuidString: data["id"]?.string ?? "") != nil)
            #expect(data["created_at"]?.string != nil)
            for key in ["id", "created_at", "updated_at"] { data[key] = nil }
            #expect(data == [
                "url": .string("https://new.example.com/h"), "secret_key": .string("k"),
                "events": .array([.string("whatsapp.message.read")]), "active": .bool(true), "headers": .object([:]),
                "buffer_enabled": .bool(false), "buffer_window_seconds": .int(5), "max_buffer_size": .int(50),
                "buffer_events": .array([.string("whatsapp.message.received")]), "inactivity_minutes": .int(60),
            ])
            // The new webhook is the most recent: it lists first.
            let list = try await call("GET", url, hooks)
            #expect(list.json?["data"]?.array?.count == 1)
        }
    }

    @Test(arguments: [
        ("{\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"]}", 422,
         "param is missing or the value is empty: whatsapp_webhook"),
        ("{\"whatsapp_webhook\": \"x\"}", 422, "param is missing or the value is empty: whatsapp_webhook"),
        ("not json", 400, "The request body is not valid JSON"),
        ("{\"whatsapp_webhook\": {\"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"]}}", 422, "url is required"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"events\": [\"whatsapp.message.read\"]}}", 422, "secret_key is required"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\"}}", 422, "events is required"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"\", \"events\": [\"whatsapp.message.read\"]}}", 422, "secret_key can't be blank"),
        ("{\"whatsapp_webhook\": {\"url\": \"not a url\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"]}}", 422, "url must be a valid http(s) URL"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.nope\"]}}", 422, "Events contains unsupported events: \"whatsapp.message.nope\""),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": []}}", 422, "events can't be empty"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": \"whatsapp.message.read\"}}", 422, "events must be an array of strings"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"active\": \"yes\"}}", 422, "active must be a boolean"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"buffer_window_seconds\": 0}}", 422, "buffer_window_seconds must be between 1 and 60"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"max_buffer_size\": 101}}", 422, "max_buffer_size must be between 1 and 100"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"inactivity_minutes\": 1441}}", 422, "inactivity_minutes must be between 1 and 1440"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"inactivity_minutes\": \"60\"}}", 422, "inactivity_minutes must be an integer"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"buffer_events\": [\"whatsapp.message.sent\"]}}", 422, "buffer_events contains an event that cannot be buffered"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"headers\": [\"a\"]}}", 422, "headers must be an object or null"),
        ("{\"whatsapp_webhook\": {\"url\": \"https://x.example.com\", \"secret_key\": \"k\", \"events\": [\"whatsapp.message.read\"], \"headers\": {\"a\": 1}}}", 422, "headers must map names to strings"),
    ])
    func invalidCreateIsRefused(_ body: String, _ status: Int, _ message: String) async throws {
        try await withSimulator(seed(count: 0)) { simulator, url in
            let answer = try await call("POST", url, hooks, body: body)
            #expect(answer.status == status)
            #expect(answer.json?["error"]?.string?.contains(message) == true, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(await simulator.store.webhooks(configID: configID)?.isEmpty == true)
        }
    }

    @Test func patchIsPartialAndReplacesArraysAndHeadersWhole() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(configID)": [{"id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b", "url": "https://a.example.com",
          "secret_key": "s", "events": ["whatsapp.message.sent", "whatsapp.message.read"], "headers": {"A": "1", "B": "2"},
          "inactivity_minutes": 30}]}}
        """)
        try await withSimulator(seed) { simulator, url in
            let path = "\(hooks)/9E8D7C6B-5A4F-3E2D-1C0B-9A8F7E6D5C4B"
            let answer = try await call("PATCH", url, path, body: """
            {"whatsapp_webhook": {"events": ["whatsapp.message.failed"], "headers": {"C": "3"}}}
            """)
            #expect(answer.status == 200)
            let data = answer.json?["data"]
            #expect(data?["events"] == .array([.string("whatsapp.message.failed")]))
            #expect(data?["headers"] == .object(["C": .string("3")]))
            #expect(data?["inactivity_minutes"] == .int(30))
            #expect(data?["secret_key"] == .string("s"))
            #expect(data?["url"] == .string("https://a.example.com"))
            let nulled = try await call("PATCH", url, path, body: "{\"whatsapp_webhook\": {\"headers\": null}}")
            #expect(nulled.json?["data"]?["headers"] == .null)
            // An invalid PATCH changes nothing.
            let bad = try await call("PATCH", url, path, body: "{\"whatsapp_webhook\": {\"active\": false, \"max_buffer_size\": 0}}")
            #expect(bad.status == 422)
            #expect(await simulator.store.webhooks(configID: configID)?.first?["active"] == .bool(true))
        }
    }

    @Test func deleteAnswers204ThenTheWebhookIsGone() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(configID)": [{"id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b", "url": "https://a.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"]}]}}
        """)
        try await withSimulator(seed) { _, url in
            let path = "\(hooks)/9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"
            let deleted = try await call("DELETE", url, path)
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            #expect(try await call("GET", url, path).status == 404)
            #expect(try await call("DELETE", url, path).status == 404)
        }
    }

    @Test func listsConfigs() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(otherConfigID)": {"name": "sales", "display_phone_number": "+1 555 0100", "webhooks": []}, "\(configID)": []}}
        """)
        try await withSimulator(seed) { _, url in
            let answer = try await call("GET", url, "/whatsapp_configs")
            #expect(answer.json?["data"] == .array([
                .object(["id": .string(configID), "name": .null, "display_phone_number": .null]),
                .object(["id": .string(otherConfigID), "name": .string("sales"), "display_phone_number": .string("+1 555 0100")]),
            ]))
        }
    }
}
