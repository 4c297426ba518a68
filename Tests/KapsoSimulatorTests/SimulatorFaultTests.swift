import Foundation
import KapsoKit
import KapsoSimulator
import Testing

@Suite struct SimulatorFaultTests {
    let hooks = "/whatsapp_configs/\(configID)/whatsapp_webhooks"
    let create = """
    {"whatsapp_webhook": {"url": "https://new.example.com", "secret_key": "k", "events": ["whatsapp.message.read"]}}
    """

    @Test func journalRecordsEveryRequest() async throws {
        try await withSimulator(seed(count: 1)) { simulator, url in
            _ = try await call("GET", url, "\(hooks)?page=1&per_page=100")
            _ = try await call("POST", url, hooks, body: create)
            _ = try await call("GET", url, hooks, key: "bad")
            let journal = await simulator.store.journal()
            #expect(journal.map(\.method) == ["GET", "POST", "GET"])
            #expect(journal.map(\.status) == [200, 201, 401])
            #expect(journal[0].path == "/api/v1\(hooks)")
            #expect(journal[0].query == "page=1&per_page=100")
            #expect(journal[1].body == create)
            // The same journal over HTTP, for tests that run the binary.
            let remote = try await call("GET", origin(url), "/__sim/journal", key: nil)
            #expect(remote.json?["data"]?.array?.count == 3)
            #expect(try await call("DELETE", origin(url), "/__sim/journal", key: nil).status == 204)
            #expect(await simulator.store.journal().isEmpty)
        }
    }

    @Test func stateIsReadableInTheSeedFormat() async throws {
        try await withSimulator(seed(count: 2)) { _, url in
            let state = try await call("GET", origin(url), "/__sim/state", key: nil)
            let hooks = state.json?["configs"]?[configID]?.array
            // Oldest first, as a seed lists them.
            #expect(hooks?.compactMap { $0["url"]?.string } == ["https://hooks.example.com/0", "https://hooks.example.com/1"])
            #expect(hooks?.first?["secret_key"] == .string("secret-0"))
        }
    }

    /// `/__sim/state` seeds a simulator to the same state: legacy configs with their names, numbers
    /// with a `meta` webhook and number-only events, project webhooks and the server's features.
    @Test func stateSeedsTheSameStateAgain() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(otherConfigID)": {"name": "legacy line", "display_phone_number": "+56 9 1111",
                     "webhooks": [{"url": "https://legacy.example.com/a", "secret_key": "s", "events": ["whatsapp.message.sent"]}]}},
         "phone_numbers": [{"phone_number_id": "1234567890", "internal_id": "\(configID)", "name": "support",
                            "webhooks": [{"url": "https://hooks.example.com/raw", "secret_key": "m", "kind": "meta"},
                                         {"url": "https://hooks.example.com/v1", "secret_key": "k", "payload_version": "v1",
                                          "events": ["whatsapp.contact.identity_changed", "whatsapp.message.reacted"]}]}],
         "project": {"webhooks": [{"url": "https://ops.example.com/p", "events": ["project.event"]}]},
         "features": {"project_event": true, "events": ["whatsapp.message.reacted"]}}
        """)
        try await withSimulator(seed) { _, url in
            let first = try #require(try await call("GET", origin(url), "/__sim/state", key: nil).json)
            let again = try SimulatorSeed.parse(json: String(decoding: first.serialized(), as: UTF8.self))
            try await withSimulator(again) { _, url in
                let second = try await call("GET", origin(url), "/__sim/state", key: nil).json
                #expect(second == first, "\(String(describing: second))\n\(first)")
            }
            // A number's webhooks are listed once, under the number; its config keeps its name.
            #expect(first["configs"]?[configID]?["webhooks"] == .array([]))
            #expect(first["phone_numbers"]?.array?.first?["webhooks"]?.array?.count == 2)
            #expect(first["configs"]?[otherConfigID]?["name"] == .string("legacy line"))
        }
    }

    @Test func latencyDelaysAnswers() async throws {
        var faults = FaultPlan()
        faults.latencyMilliseconds = 300
        try await withSimulator(seed(count: 1), faults: faults) { _, url in
            let start = Date()
            let answer = try await call("GET", url, hooks)
            #expect(answer.status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.3)
        }
    }

    @Test func firstRequestsAreRateLimitedWithHeaders() async throws {
        var faults = FaultPlan()
        faults.rateLimitFirst = 2
        faults.retryAfterSeconds = 7
        try await withSimulator(seed(count: 1), faults: faults) { simulator, url in
            for _ in 0..<2 {
                let limited = try await call("GET", url, hooks)
                #expect(limited.status == 429)
                #expect(limited.headers["retry-after"] == "7")
                #expect(limited.headers["x-ratelimit-remaining"] == "0")
                #expect(limited.headers["x-ratelimit-limit"] != nil)
                #expect(limited.json?["error"] == .string("Rate limit exceeded"))
            }
            #expect(try await call("GET", url, hooks).status == 200)
            #expect(await simulator.store.journal().map(\.fault) == ["rate_limit", "rate_limit", nil])
        }
    }

    @Test func requestsPerMinuteIsEnforced() async throws {
        var faults = FaultPlan()
        faults.requestsPerMinute = 3
        try await withSimulator(seed(count: 1), faults: faults) { _, url in
            var remaining: [String?] = []
            for _ in 0..<3 {
                let answer = try await call("GET", url, hooks)
                #expect(answer.status == 200)
                remaining.append(answer.headers["x-ratelimit-remaining"])
            }
            #expect(remaining == ["2", "1", "0"])
            let over = try await call("GET", url, hooks)
            #expect(over.status == 429)
            #expect(Int(over.headers["retry-after"] ?? "") ?? 0 >= 1)
        }
    }

    @Test func serverErrorsFollowTheSeededFraction() async throws {
        var faults = FaultPlan()
        faults.serverErrorFraction = 0.5
        faults.seed = 42
        var runs: [[Int]] = []
        for _ in 0..<2 {
            try await withSimulator(seed(count: 1), faults: faults) { _, url in
                var statuses: [Int] = []
                for _ in 0..<20 { statuses.append(try await call("GET", url, hooks).status) }
                runs.append(statuses)
            }
        }
        #expect(runs[0] == runs[1])
        #expect(Set(runs[0]) == [200, 503])
    }

    @Test func dropBeforeWriteStoresNothing() async throws {
        var faults = FaultPlan()
        faults.dropBeforeWriteFirst = 1
        try await withSimulator(seed(count: 0), faults: faults) { simulator, url in
            await #expect(throws: TransportFailure.self) { try await call("POST", url, hooks, body: create) }
            #expect(await simulator.store.webhooks(configID: configID)?.count == 0)
            let retried = try await call("POST", url, hooks, body: create)
            #expect(retried.status == 201)
            #expect(await simulator.store.journal().map(\.status) == [0, 201])
        }
    }

    @Test func dropAfterWriteStoresTheWrite() async throws {
        var faults = FaultPlan()
        faults.dropAfterWriteFirst = 1
        try await withSimulator(seed(count: 0), faults: faults) { simulator, url in
            await #expect(throws: TransportFailure.self) { try await call("POST", url, hooks, body: create) }
            #expect(await simulator.store.webhooks(configID: configID)?.count == 1)
            #expect(await simulator.store.journal().map(\.fault) == ["drop_after_write"])
        }
    }

    @Test func faultsCanBeSetOverHTTP() async throws {
        try await withSimulator(seed(count: 1)) { _, url in
            let set = try await call("PUT", origin(url), "/__sim/faults", key: nil, body: "{\"server_error_first\": 1}")
            #expect(set.status == 204)
            #expect(try await call("GET", url, hooks).status == 503)
            #expect(try await call("GET", url, hooks).status == 200)
            #expect(try await call("PUT", origin(url), "/__sim/faults", key: nil, body: "[]").status == 422)
        }
    }
}

@Suite struct SimulatorSeedTests {
    @Test func seedKeepsIdsDatesAndOrder() async throws {
        let seed = try SimulatorSeed.parse(json: """
        {"configs": {"\(configID.uppercased())": [
          {"id": "9E8D7C6B-5A4F-3E2D-1C0B-9A8F7E6D5C4B", "url": "https://a.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"], "created_at": "2024-05-01T10:00:00Z"},
          {"url": "https://b.example.com", "secret_key": "s", "events": ["whatsapp.message.sent"], "retry_config": {"x": 1}}
        ]}}
        """)
        let store = try SimulatorStore(seed: seed, apiKey: "k")
        // Config ids are matched exactly as seeded (a strict server); webhook ids are stored lowercased.
        #expect(await store.webhooks(configID: configID) == nil)
        let hooks = await store.webhooks(configID: configID.uppercased())
        #expect(hooks?.compactMap { $0["url"]?.string } == ["https://b.example.com", "https://a.example.com"])
        #expect(hooks?.last?["id"] == .string("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"))
        #expect(hooks?.last?["created_at"] == .string("2024-05-01T10:00:00Z"))
    }

    @Test(arguments: [
        ("{\"configs\": []}", "expected {\"configs\""),
        ("{\"configs\": {\"not-a-uuid\": []}}", "config key 'not-a-uuid' is not a UUID"),
        ("{\"configs\": {\"\(configID)\": [{\"url\": \"https://a.example.com\"}]}}", "webhook #1: secret_key is required"),
        ("{\"configs\": {\"\(configID)\": [{\"id\": \"x\", \"url\": \"https://a.example.com\", \"secret_key\": \"s\", \"events\": [\"whatsapp.message.sent\"]}]}}", "id 'x' is not a UUID"),
        ("{\"configs\": {\"\(configID)\": 5}}", "must be a list of webhooks"),
        ("{\"configs\": ", "seed:1:13: not valid JSON (the text ends where a value should be)"),
        ("{\"configs\": {},\n \"configs\": {}}", "seed:2:2: not valid JSON (a key appears twice in one object)"),
    ])
    func invalidSeedsAreExplained(_ json: String, _ message: String) {
        do {
            let seed = try SimulatorSeed.parse(json: json)
            _ = try SimulatorStore(seed: seed, apiKey: "k")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func yamlSeedIsReadToo() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        configs:
          \(configID):
            - url: https://a.example.com
              secret_key: "123"
              events: [whatsapp.message.sent]
              active: false
              inactivity_minutes: 15
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let store = try SimulatorStore(seed: try SimulatorSeed.load(path: path), apiKey: "k")
        let hook = await store.webhooks(configID: configID)?.first
        #expect(hook?["secret_key"] == .string("123"))
        #expect(hook?["active"] == .bool(false))
        #expect(hook?["inactivity_minutes"] == .int(15))
    }

    @Test func simulatorRefusesNonLoopbackHosts() {
        #expect(throws: SeedError.self) { try KapsoSimulator(apiKey: "k", host: "0.0.0.0") }
        #expect(throws: SeedError.self) { try KapsoSimulator(apiKey: "k", host: "10.0.0.1") }
    }
}
