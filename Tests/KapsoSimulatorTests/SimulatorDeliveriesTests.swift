import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

private let hookID = "11111111-1111-4111-8111-111111111111"

/// One webhook on a config; its URL on a loopback port that refuses (every delivery fails) or on a
/// receiver the test runs.
private func deliverySeed(url: String, deliveries: [SeedDelivery] = []) -> SimulatorSeed {
    SimulatorSeed(configs: [SimulatorSeed.Config(id: configID, webhooks: [
        .object(["id": .string(hookID), "url": .string(url), "secret_key": .string("s"), "active": .bool(true),
                 "events": .array([.string("whatsapp.message.received")])]),
    ])], deliveries: deliveries)
}

@Suite struct SimulatorDeliveriesTests {
    /// `GET /webhook_deliveries` pages by cursor, newest first: every record once over the pages,
    /// `next` null on the last; `before` goes back; the filters filter; bad values are 422s.
    @Test func historyPagesByCursorAndFilters() async throws {
        let seed = deliverySeed(url: "https://hooks.example.com/x", deliveries: [
            SeedDelivery(webhookID: hookID, status: "delivered", responseStatus: 200, count: 230),
            SeedDelivery(webhookID: hookID, status: "failed", responseStatus: 500, event: "whatsapp.message.sent", secondsAgo: 30, count: 7),
            SeedDelivery(webhookID: hookID, status: "delivered", responseStatus: 200, secondsAgo: 3 * 86_400, count: 4),
        ])
        try await withSimulator(seed) { _, url in
            let platform = KapsoSimulator.platformURL(from: url)
            var ids: [String] = []
            var times: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let after = cursor.map { "&after=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try await call("GET", platform, "/webhook_deliveries?webhook_id=\(hookID)&period=24h&limit=100\(after)")
                #expect(page.status == 200)
                let data = try #require(page.json?["data"]?.array)
                ids += data.compactMap { $0["id"]?.string }
                times += data.compactMap { $0["created_at"]?.string }
                cursor = page.json?["paging"]?["next"] == .null ? nil : page.json?["paging"]?["cursors"]?["after"]?.string
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3 && ids.count == 237 && Set(ids).count == 237, "\(pages) pages, \(ids.count) records")
            #expect(times == times.sorted(by: >), "newest first")
            let failed = try await call("GET", platform, "/webhook_deliveries?errors_only=true&limit=100")
            #expect(failed.json?["data"]?.array?.count == 7)
            #expect(failed.json?["data"]?.array?.first?["response_status"]?.int == 500)
            let events = try await call("GET", platform, "/webhook_deliveries?event=whatsapp.message.sent&status=failed&period=30d")
            #expect(events.json?["data"]?.array?.count == 7)
            let month = try await call("GET", platform, "/webhook_deliveries?period=30d&limit=1")
            let first = try #require(month.json?["paging"]?["cursors"]?["after"]?.string)
            let newer = try await call("GET", platform, "/webhook_deliveries?period=30d&limit=100&before=\(first.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(newer.json?["data"]?.array?.isEmpty == true, "nothing is newer than the newest")
            for (query, words) in [("limit=0", "limit must be between 1 and 100"), ("limit=101", "limit must be between 1 and 100"),
                                   ("status=lost", "status must be one of"), ("period=1h", "period must be one of"),
                                   ("errors_only=yes", "errors_only must be true or false"), ("after=bm9wZQ==", "after is not a valid cursor")] {
                let refused = try await call("GET", platform, "/webhook_deliveries?\(query)")
                #expect(refused.status == 422 && String(decoding: refused.body, as: UTF8.self).contains(words), "\(query)")
            }
            let denied = try await call("GET", platform, "/webhook_deliveries", key: "wrong")
            #expect(denied.status == 401)
        }
    }

    /// Synthetic traffic and the test route are recorded as Kapso records them; with
    /// `pause_after_failures`, a webhook whose deliveries fail that many times in a row is paused
    /// (`active: false`), and stays paused.
    @Test func failingDeliveriesPauseAWebhook() async throws {
        let refused = try RefusedPort()
        defer { withExtendedLifetime(refused) {} }
        var faults = FaultPlan()
        faults.pauseAfterFailures = 3
        try await withSimulator(deliverySeed(url: "http://127.0.0.1:\(refused.port)/hook"), faults: faults) { simulator, url in
            let platform = KapsoSimulator.platformURL(from: url)
            let two = try await call("POST", origin(url), "/__sim/traffic", key: nil, body: #"{"webhook_id": "\#(hookID)", "count": 2}"#)
            #expect(two.json?["data"]?["delivered"]?.int == 0)
            var hook = try await call("GET", url, "/whatsapp_configs/\(configID)/whatsapp_webhooks/\(hookID)")
            #expect(hook.json?["data"]?["active"] == .bool(true), "two failures in a row do not pause at three")
            _ = try await call("POST", origin(url), "/__sim/traffic", key: nil, body: #"{"webhook_id": "\#(hookID)", "count": 1}"#)
            hook = try await call("GET", url, "/whatsapp_configs/\(configID)/whatsapp_webhooks/\(hookID)")
            #expect(hook.json?["data"]?["active"] == .bool(false), "the third failure in a row pauses it")
            let history = try await call("GET", platform, "/webhook_deliveries?webhook_id=\(hookID)")
            let records = try #require(history.json?["data"]?.array)
            #expect(records.count == 3 && records.allSatisfy { $0["status"] == .string("failed") && $0["response_status"] == .null })
            #expect(records.allSatisfy { $0["whatsapp_config_id"] == .string(configID) && $0["attempt_count"] == .int(4) })
            let unknown = try await call("POST", origin(url), "/__sim/traffic", key: nil, body: #"{"webhook_id": "99999999-9999-4999-8999-999999999999"}"#)
            #expect(unknown.status == 404)
            _ = simulator
        }
    }

    /// A delivery the receiver accepts is `delivered`, with its status; the test route's too.
    @Test func deliveredTrafficIsRecorded() async throws {
        let receiver = try RawHTTPServer(mode: .closeAfter(100)) { _ in RawResponse(status: 204) }
        defer { receiver.stop() }
        try await withSimulator(deliverySeed(url: receiver.origin.absoluteString + "/hook")) { _, url in
            let sent = try await call("POST", origin(url), "/__sim/traffic", key: nil, body: #"{"webhook_id": "\#(hookID)", "count": 3, "event": "whatsapp.message.received"}"#)
            #expect(sent.json?["data"]?["delivered"]?.int == 3)
            let history = try await call("GET", KapsoSimulator.platformURL(from: url), "/webhook_deliveries?status=delivered")
            let records = try #require(history.json?["data"]?.array)
            #expect(records.count == 3 && records.allSatisfy { $0["response_status"]?.int == 204 && $0["delivered_at"] != .null })
        }
    }
}
