import Foundation
import KapsoKit

/// A delivery as Kapso records it, served by `GET /platform/v1/webhook_deliveries`: seeded, made by
/// the test route, or sent as synthetic traffic (`POST /__sim/traffic`).
struct HistoryDelivery: Sendable, Equatable {
    var id: String
    var webhookID: String
    var webhookURL: String
    var event: String
    /// `pending`, `delivered` or `failed`.
    var status: String
    var attemptCount: Int
    var responseStatus: Int?
    var createdAt: Date
    var phoneNumberID: String?
    var whatsappConfigID: String?
    /// Order of recording: the tie-break of equal times, and half of a cursor.
    var sequence: Int

    var json: JSONValue {
        let time = JSONValue.string(ISOTime.string(createdAt, fractional: true))
        return .object([
            "id": .string(id), "webhook_id": .string(webhookID), "webhook_url": .string(webhookURL), "event": .string(event),
            "status": .string(status), "attempt_count": .int(attemptCount),
            "response_status": responseStatus.map(JSONValue.int) ?? .null,
            "created_at": time, "last_attempt_at": status == "pending" ? .null : time,
            "delivered_at": status == "delivered" ? time : .null, "failed_at": status == "failed" ? time : .null,
            "phone_number_id": phoneNumberID.map(JSONValue.string) ?? .null,
            "whatsapp_config_id": whatsappConfigID.map(JSONValue.string) ?? .null,
            "conversation_phone_number": .null,
        ])
    }

    /// Newest first.
    static func newerFirst(_ a: HistoryDelivery, _ b: HistoryDelivery) -> Bool {
        (a.createdAt, a.sequence) > (b.createdAt, b.sequence)
    }
}

/// A seeded run of deliveries (`"deliveries": [...]` in a seed file).
public struct SeedDelivery: Sendable, Equatable {
    public var webhookID: String
    public var status: String
    public var responseStatus: Int?
    public var event: String?
    /// Seconds before the simulator started; `count` records go back one second apart from there.
    public var secondsAgo: Double
    public var count: Int

    public init(webhookID: String, status: String, responseStatus: Int? = nil, event: String? = nil, secondsAgo: Double = 60, count: Int = 1) {
        self.webhookID = webhookID
        self.status = status
        self.responseStatus = responseStatus
        self.event = event
        self.secondsAgo = secondsAgo
        self.count = count
    }

    static let statuses: Set<String> = ["pending", "delivered", "failed"]

    static func parse(_ value: JSONValue, _ what: String) throws(SeedError) -> SeedDelivery {
        guard case .object(let object) = value, case .string(let id)? = object["webhook_id"], UUID(uuidString: id) != nil,
              case .string(let status)? = object["status"], statuses.contains(status) else {
            throw SeedError("\(what): needs a 'webhook_id' (a UUID) and a 'status' (pending, delivered or failed)")
        }
        func int(_ key: String) throws(SeedError) -> Int? {
            guard let entry = object[key], entry != .null else { return nil }
            guard case .int(let number) = entry, number >= 0 else { throw SeedError("\(what): '\(key)' must be a whole number") }
            return number
        }
        let event: String? = if case .string(let name)? = object["event"] { name } else { nil }
        let count = try int("count") ?? 1
        guard (1...100_000).contains(count) else { throw SeedError("\(what): 'count' must be from 1 to 100000") }
        return SeedDelivery(webhookID: id.lowercased(), status: status, responseStatus: try int("response_status"), event: event,
                            secondsAgo: Double(try int("seconds_ago") ?? 60), count: count)
    }
}

extension SimulatorStore {
    /// Where a webhook is, for a delivery record: its URL, first event, number and config.
    private func deliveryTarget(_ webhookID: String) -> (url: String, event: String, number: String?, config: String?)? {
        Self.deliveryTarget(webhookID, configs: configs, numbers: numbers, projectHooks: projectHooks)
    }

    static func deliveryTarget(_ webhookID: String, configs: [String: Config], numbers: [Number],
                               projectHooks: [WebhookRecord]) -> (url: String, event: String, number: String?, config: String?)? {
        for (key, config) in configs {
            guard let hook = config.webhooks.first(where: { $0.id == webhookID }) else { continue }
            let number = numbers.first { $0.configKey == key }?.phoneNumberID
            return (hook.url, hook.events.first ?? "whatsapp.message.received", number, key)
        }
        if let hook = projectHooks.first(where: { $0.id == webhookID }) {
            return (hook.url, hook.events.first ?? "whatsapp.message.received", nil, nil)
        }
        return nil
    }

    /// Records a delivery; a failed one may pause its webhook (``FaultPlan/pauseAfterFailures``).
    func recordDelivery(webhookID: String, event: String?, status: String, responseStatus: Int?, at time: Date = Date()) {
        historySequence += 1
        history.append(Self.delivery(webhookID, target: deliveryTarget(webhookID), event: event, status: status,
                                     responseStatus: responseStatus, at: time, sequence: historySequence))
        if status == "failed" { pauseIfFailing(webhookID) }
    }

    /// Kapso's pausing, simplified: after `pauseAfterFailures` failed deliveries in a row (the
    /// newest ones), the webhook's `active` becomes false; it is never resumed by the server.
    private func pauseIfFailing(_ webhookID: String) {
        guard let limit = faults.pauseAfterFailures, limit > 0 else { return }
        let recent = history.filter { $0.webhookID == webhookID }.sorted(by: HistoryDelivery.newerFirst).prefix(limit)
        guard recent.count == limit, recent.allSatisfy({ $0.status == "failed" }) else { return }
        for key in configs.keys {
            if let index = configs[key]!.webhooks.firstIndex(where: { $0.id == webhookID }), configs[key]!.webhooks[index].active {
                configs[key]!.webhooks[index].values[Attribute.active.name] = .bool(false)
                configs[key]!.webhooks[index].updatedAt = Self.now()
            }
        }
        if let index = projectHooks.firstIndex(where: { $0.id == webhookID }), projectHooks[index].active {
            projectHooks[index].values[Attribute.active.name] = .bool(false)
            projectHooks[index].updatedAt = Self.now()
        }
    }

    /// Seeded history, relative to `now` (so `period` filters see it); never pauses a webhook: the
    /// seed says what is active.
    static func seededHistory(_ seeds: [SeedDelivery], configs: [String: Config], numbers: [Number], projectHooks: [WebhookRecord],
                              now: Date) -> [HistoryDelivery] {
        var out: [HistoryDelivery] = []
        for seed in seeds {
            let target = deliveryTarget(seed.webhookID, configs: configs, numbers: numbers, projectHooks: projectHooks)
            for offset in 0..<seed.count {
                out.append(delivery(seed.webhookID, target: target, event: seed.event, status: seed.status, responseStatus: seed.responseStatus,
                                    at: now.addingTimeInterval(-seed.secondsAgo - Double(offset)), sequence: out.count + 1))
            }
        }
        return out
    }

    /// One record, as Kapso keeps it: a delivered one took one attempt, any other all four.
    private static func delivery(_ webhookID: String, target: (url: String, event: String, number: String?, config: String?)?,
                                 event: String?, status: String, responseStatus: Int?, at time: Date, sequence: Int) -> HistoryDelivery {
        HistoryDelivery(id: UUID().uuidString.lowercased(), webhookID: webhookID, webhookURL: URLDisplay.masked(target?.url ?? ""),
                        event: event ?? target?.event ?? "whatsapp.message.received", status: status,
                        attemptCount: status == "delivered" ? 1 : 4, responseStatus: responseStatus, createdAt: time,
                        phoneNumberID: target?.number, whatsappConfigID: target?.config, sequence: sequence)
    }

    /// `GET /webhook_deliveries`: newest first, cursor paging (`limit` 1–100, default 20; `after`
    /// for older, `before` for newer), filtered by `webhook_id`, `status`, `event`, `period`
    /// (`24h`, `7d`, `30d`) and `errors_only`. Answers `{"data", "paging": {"cursors", "next",
    /// "previous"}}`; `next` is null on the last page.
    func deliveriesRoute(_ request: SimRequest) -> SimResponse {
        guard request.method == "GET" else { return .error(404, "Not found") }
        var limit = 20
        var after: Int?, before: Int?
        var list = history
        let now = Date()
        for item in request.query {
            switch item.name {
            case "limit":
                guard let value = Int(item.value), (1...100).contains(value) else { return .error(422, "limit must be between 1 and 100") }
                limit = value
            case "after", "before":
                guard let cursor = Self.cursor(item.value) else { return .error(422, "\(item.name) is not a valid cursor") }
                if item.name == "after" { after = cursor } else { before = cursor }
            case "webhook_id": list = list.filter { $0.webhookID == item.value.lowercased() }
            case "status":
                guard SeedDelivery.statuses.contains(item.value) else { return .error(422, "status must be one of pending, delivered, failed") }
                list = list.filter { $0.status == item.value }
            case "event": list = list.filter { $0.event == item.value }
            case "period":
                guard let seconds = ["24h": 86_400.0, "7d": 604_800.0, "30d": 2_592_000.0][item.value] else {
                    return .error(422, "period must be one of 24h, 7d, 30d")
                }
                list = list.filter { now.timeIntervalSince($0.createdAt) <= seconds }
            case "errors_only":
                guard item.value == "true" || item.value == "false" else { return .error(422, "errors_only must be true or false") }
                if item.value == "true" { list = list.filter { $0.status == "failed" } }
            default: break
            }
        }
        list.sort(by: HistoryDelivery.newerFirst)
        // A cursor names a record; the page goes on from it, in the list's order.
        if let after { list = list.firstIndex { $0.sequence == after }.map { Array(list[(list.index(after: $0))...]) } ?? [] }
        if let before { list = list.firstIndex { $0.sequence == before }.map { Array(list[..<$0]) } ?? [] }
        let page = before == nil ? Array(list.prefix(limit)) : Array(list.suffix(limit))
        let more = list.count > limit
        let query = request.query.filter { $0.name != "after" && $0.name != "before" }
        func link(_ name: String, _ record: HistoryDelivery?) -> JSONValue {
            guard let record else { return .null }
            let rest = query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
            return .string("\(Self.platformPrefix)/webhook_deliveries?\(rest)\(rest.isEmpty ? "" : "&")\(name)=\(Self.cursor(record))")
        }
        let older = before == nil ? (more ? page.last : nil) : page.last
        let newer = before == nil ? (after == nil ? nil : page.first) : (more ? page.first : nil)
        return .json(200, .object([
            "data": .array(page.map(\.json)),
            "paging": .object([
                "cursors": .object(["before": page.first.map { .string(Self.cursor($0)) } ?? .null,
                                    "after": page.last.map { .string(Self.cursor($0)) } ?? .null]),
                "next": link("after", older),
                "previous": link("before", newer),
            ]),
        ]))
    }

    private static func cursor(_ record: HistoryDelivery) -> String {
        Data("delivery:\(record.sequence)".utf8).base64EncodedString()
    }

    private static func cursor(_ text: String) -> Int? {
        guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
              decoded.hasPrefix("delivery:") else { return nil }
        return Int(decoded.dropFirst("delivery:".count))
    }

    /// `POST /__sim/traffic`: `count` deliveries of `webhook_id` (with `event`, default its first),
    /// sent as Kapso would and recorded with the receiver's answer; a URL off loopback is never
    /// contacted and its deliveries fail (no answer). Returns how many were delivered.
    public func sendTraffic(webhookID: String, count: Int, event: String?) async -> Int? {
        let id = webhookID.lowercased()
        let found: (WebhookRecord, WebhookScope)? = if let place = find(id) { (record(at: place), place.scope) } else {
            configs.lazy.compactMap { key, config in config.webhooks.first { $0.id == id }.map { ($0, WebhookScope.config(key)) } }.first
        }
        guard let (record, scope) = found else { return nil }
        var delivered = 0
        for _ in 0..<max(0, min(count, 1000)) {
            let delivery = SampleDelivery(event: event ?? record.events.first ?? "whatsapp.message.received",
                                          payloadVersion: record.values[Attribute.payloadVersion.name]?.string ?? "v2",
                                          scope: scope, secretKey: record.values[Attribute.secretKey.name]?.string ?? "",
                                          headers: record.values[Attribute.headers.name]?.map ?? [:],
                                          idempotencyKey: UUID().uuidString.lowercased(), time: Date())
            let status = await Self.send(delivery, to: record.url)
            let ok = status.map { (200..<300).contains($0) } ?? false
            if ok { delivered += 1 }
            recordDelivery(webhookID: record.id, event: delivery.event, status: ok ? "delivered" : "failed", responseStatus: status)
        }
        return delivered
    }

    /// The receiver's status for one delivery, nil when it could not be sent (or is not on loopback).
    static func send(_ delivery: SampleDelivery, to url: String) async -> Int? {
        guard EndpointVerifier.refusal(url, loopbackOnly: true) == nil, let target = URL(string: url) else { return nil }
        let request = delivery.request(to: target, userAgent: "KapsoSimulator")
        return try? await CurlTransport(maxConnectionsPerHost: 1, maxResponseBytes: 1 << 20).send(request).status
    }
}
