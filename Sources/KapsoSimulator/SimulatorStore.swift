import Foundation
import KapsoKit

/// An HTTP request as the store sees it.
struct SimRequest: Sendable {
    var method: String
    var path: String
    var query: [(name: String, value: String)]
    var rawQuery: String
    var apiKey: String?
    var body: Data
}

/// An answer of the simulator, for an HTTP front end to send: `drop` means close the connection
/// without answering.
public struct SimulatorAnswer: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var drop: Bool
}

/// What to send back; `drop` closes the connection without an answer.
struct SimResponse: Error, Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data = Data()
    var drop = false

    static func json(_ status: Int, _ value: JSONValue, headers: [String: String] = [:]) -> SimResponse {
        var all = headers
        all["Content-Type"] = "application/json; charset=utf-8"
        return SimResponse(status: status, headers: all, body: value.serialized())
    }

    static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> SimResponse {
        json(status, .object(["error": .string(message)]), headers: headers)
    }
}

/// The simulator's state and behaviour: the legacy webhook API over in-memory data, the injected
/// faults and the request journal. One actor, so requests apply one at a time, in arrival order.
public actor SimulatorStore {
    struct Config {
        var name: String?
        var displayPhoneNumber: String?
        /// Oldest first; lists answer newest first.
        var webhooks: [WebhookRecord] = []
    }

    static let prefix = "/api/v1"

    private let apiKey: String
    private var configs: [String: Config] = [:]
    private var entries: [JournalEntry] = []
    private var journalWaiters: [(condition: @Sendable ([JournalEntry]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    private var faults = FaultPlan.none
    private var generator = SeededGenerator(seed: 1)
    private var apiRequests = 0
    private var writes = 0
    private var listShifts = 0
    private var concurrentCreates = 0
    private var recentRequests: [Date] = []
    private var clock: Int = 0

    public init(seed: SimulatorSeed, apiKey: String, faults: FaultPlan = .none) throws(SeedError) {
        self.apiKey = apiKey
        self.faults = faults
        generator = SeededGenerator(seed: faults.seed)
        for config in seed.configs {
            var stored = Config(name: config.name, displayPhoneNumber: config.displayPhoneNumber)
            for (index, value) in config.webhooks.enumerated() {
                guard case .object(var fields) = value else {
                    throw SeedError("config \(config.id) webhook #\(index + 1): expected an object")
                }
                let id: String
                if case .string(let given)? = fields["id"] {
                    guard UUID(uuidString: given) != nil else {
                        throw SeedError("config \(config.id) webhook #\(index + 1): id '\(given)' is not a UUID")
                    }
                    id = given.lowercased()
                } else {
                    id = UUID().uuidString.lowercased()
                }
                let created: String
                if case .string(let given)? = fields["created_at"] { created = given } else { created = Self.seedTime(clock) }
                clock += 1
                fields["id"] = nil
                switch WebhookRecord.create(from: fields, id: id, now: created) {
                case .success(var record):
                    if case .string(let updated)? = fields["updated_at"] { record.updatedAt = updated }
                    stored.webhooks.append(record)
                case .failure(let failure):
                    throw SeedError("config \(config.id) webhook #\(index + 1): \(failure.message)")
                }
            }
            configs[config.id] = stored
        }
    }

    // MARK: - Test hooks

    /// Every request received so far, in order.
    public func journal() -> [JournalEntry] { entries }

    public func clearJournal() { entries.removeAll() }

    /// Replaces the fault plan; its counts start again from zero.
    public func setFaults(_ plan: FaultPlan) {
        faults = plan
        generator = SeededGenerator(seed: plan.seed)
        apiRequests = 0
        writes = 0
        listShifts = 0
        concurrentCreates = 0
        recentRequests.removeAll()
    }

    /// The current state in the seed format (each config's webhooks oldest first).
    public func snapshot() -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (id, config) in configs {
            out[id] = .array(config.webhooks.map(\.json))
        }
        return .object(["configs": .object(out)])
    }

    /// The webhooks of a config as the API returns them (newest first), or nil for an unknown config.
    public func webhooks(configID: String) -> [JSONValue]? {
        configs[configID].map { $0.webhooks.reversed().map(\.json) }
    }

    // MARK: - Requests

    /// The latency to add before answering a request with `method`, in milliseconds.
    public func latency(for method: String) -> Int {
        faults.latencyMilliseconds + (["POST", "PATCH", "PUT", "DELETE"].contains(method) ? faults.writeLatencyMilliseconds : 0)
    }

    /// Returns once the journal satisfies `condition` (at once if it already does), or when the
    /// store is released by ``releaseWaiters()``. Lets a test await a request instead of polling.
    public func waitForJournal(until condition: @escaping @Sendable ([JournalEntry]) -> Bool) async {
        if condition(entries) { return }
        await withCheckedContinuation { journalWaiters.append((condition, $0)) }
    }

    /// Resumes every ``waitForJournal(until:)`` caller (the simulator is stopping).
    public func releaseWaiters() {
        let waiting = journalWaiters
        journalWaiters.removeAll()
        for waiter in waiting { waiter.continuation.resume() }
    }

    /// Handles one API request (path below the origin, query items decoded) and journals it. The
    /// entry point of every HTTP front end: FlyingFox here, and the tests' own raw-socket server.
    public func respond(method: String, path: String, query: [(name: String, value: String)], apiKey: String?,
                        body: Data) -> SimulatorAnswer {
        let rawQuery = query.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
        let response = handle(SimRequest(method: method, path: path, query: query, rawQuery: rawQuery, apiKey: apiKey, body: body))
        return SimulatorAnswer(status: response.status, headers: response.headers, body: response.body, drop: response.drop)
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~[]"))) ?? text
    }

    func handle(_ request: SimRequest) -> SimResponse {
        let isWrite = ["POST", "PATCH", "PUT", "DELETE"].contains(request.method)
        let (response, fault) = respond(to: request, isWrite: isWrite)
        entries.append(JournalEntry(method: request.method, path: request.path, query: request.rawQuery,
                                    body: String(decoding: request.body, as: UTF8.self),
                                    status: response.drop ? 0 : response.status, fault: fault))
        if !journalWaiters.isEmpty {
            let ready = journalWaiters.filter { $0.condition(entries) }
            journalWaiters.removeAll { $0.condition(entries) }
            for waiter in ready { waiter.continuation.resume() }
        }
        return response
    }

    private func respond(to request: SimRequest, isWrite: Bool) -> (SimResponse, String?) {
        apiRequests += 1
        var limitHeaders: [String: String] = [:]
        if let limit = faults.requestsPerMinute {
            let now = Date()
            recentRequests = recentRequests.filter { now.timeIntervalSince($0) < 60 }
            if recentRequests.count >= limit {
                let retry = max(1, Int(ceil(60 - now.timeIntervalSince(recentRequests[0]))))
                return (.error(429, "Rate limit exceeded", headers: [
                    "Retry-After": String(retry), "X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": "0",
                ]), "rate_limit")
            }
            recentRequests.append(now)
            limitHeaders = ["X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": String(limit - recentRequests.count)]
        }
        if apiRequests <= faults.rateLimitFirst || draw(faults.rateLimitFraction) {
            let limit = faults.requestsPerMinute ?? 100
            var headers = ["X-RateLimit-Limit": String(limit), "X-RateLimit-Remaining": "0"]
            var message = "Too many requests."
            if let retryAfter = faults.retryAfterSeconds {
                headers["Retry-After"] = String(retryAfter)
                message += " Retry after \(retryAfter) seconds."
            }
            return (.json(429, .object(["error": .string("Rate limit exceeded"), "message": .string(message)]),
                          headers: headers), "rate_limit")
        }
        if apiRequests <= faults.rateLimitFirst + faults.serverErrorFirst || draw(faults.serverErrorFraction) {
            return (.error(503, "Service Unavailable"), "server_error")
        }
        guard request.apiKey == apiKey else {
            return (.error(401, "Unauthorized"), nil)
        }
        var writeNumber = 0
        if isWrite {
            writes += 1
            writeNumber = writes
            if writeNumber <= faults.dropBeforeWriteFirst {
                return (SimResponse(status: 0, drop: true), "drop_before_write")
            }
        }
        let raced = raceCreate(request)
        var response = route(request)
        response.headers.merge(limitHeaders) { current, _ in current }
        if request.method == "GET", response.status == 200, let shifted = shiftList(after: request) {
            return (response, shifted)
        }
        if raced { return (response, "concurrent_create") }
        if isWrite, writeNumber <= faults.dropBeforeWriteFirst + faults.dropAfterWriteFirst {
            return (SimResponse(status: 0, drop: true), "drop_after_write")
        }
        return (response, nil)
    }

    /// The `concurrent_create` fault: before a valid POST, store the same webhook as created by
    /// another client a second earlier.
    private func raceCreate(_ request: SimRequest) -> Bool {
        guard request.method == "POST", concurrentCreates < faults.concurrentCreateFirst else { return false }
        let parts = request.path.split(separator: "/")
        guard parts.count == 5, parts[2] == "whatsapp_configs", parts[4] == "whatsapp_webhooks",
              let configID = configKey(String(parts[3])), case .success(let fields) = wrappedFields(request),
              case .success(let twin) = WebhookRecord.create(from: fields, id: UUID().uuidString.lowercased(),
                                                             now: Self.timestamp(Date().addingTimeInterval(-1))) else { return false }
        concurrentCreates += 1
        configs[configID]!.webhooks.append(twin)
        return true
    }

    /// The stored key of a config id from a request path, when the config exists. Config ids match
    /// exactly, as seeded: a client must send the id as the server lists it.
    private func configKey(_ id: String) -> String? {
        configs[id] != nil ? id : nil
    }

    /// The `list_shift` fault: after page 1 of a webhook list with more pages, delete the config's
    /// newest webhook (someone else's delete between two page reads).
    private func shiftList(after request: SimRequest) -> String? {
        guard listShifts < faults.listShiftFirst else { return nil }
        let parts = request.path.split(separator: "/")
        guard parts.count == 5, parts[2] == "whatsapp_configs", parts[4] == "whatsapp_webhooks",
              let configID = configKey(String(parts[3])), !(configs[configID]?.webhooks.isEmpty ?? true) else { return nil }
        let page = request.query.first { $0.name == "page" }.flatMap { Int($0.value) } ?? 1
        let perPage = min(100, request.query.first { $0.name == "per_page" }.flatMap { Int($0.value) } ?? 20)
        guard page == 1, configs[configID]!.webhooks.count > perPage else { return nil }
        listShifts += 1
        configs[configID]!.webhooks.removeLast()
        return "list_shift"
    }

    private func draw(_ fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        return Double.random(in: 0..<1, using: &generator) < fraction
    }

    private func route(_ request: SimRequest) -> SimResponse {
        guard request.path.hasPrefix(Self.prefix + "/") else { return .error(404, "Not found") }
        let parts = request.path.dropFirst(Self.prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (request.method, parts.count) {
        case ("GET", 1) where parts[0] == "whatsapp_configs":
            return listConfigs(request)
        case (_, 3) where parts[0] == "whatsapp_configs" && parts[2] == "whatsapp_webhooks":
            guard let configID = configKey(parts[1]) else { return .error(404, "WhatsApp config not found") }
            switch request.method {
            case "GET": return listWebhooks(configID, request)
            case "POST": return createWebhook(configID, request)
            default: return .error(404, "Not found")
            }
        case (_, 4) where parts[0] == "whatsapp_configs" && parts[2] == "whatsapp_webhooks":
            guard let configID = configKey(parts[1]), let config = configs[configID] else { return .error(404, "WhatsApp config not found") }
            let id = parts[3].lowercased()
            guard let index = config.webhooks.firstIndex(where: { $0.id == id }) else {
                return .error(404, "Webhook not found")
            }
            switch request.method {
            case "GET": return .json(200, .object(["data": config.webhooks[index].json]))
            case "PATCH", "PUT": return updateWebhook(configID, index, request)
            case "DELETE":
                configs[configID]?.webhooks.remove(at: index)
                return SimResponse(status: 204)
            default: return .error(404, "Not found")
            }
        default:
            return .error(404, "Not found")
        }
    }

    /// `page` (≥ 1, default 1) and `per_page` (default 20; above 100 is served as 100).
    private func pagination(_ request: SimRequest) -> Result<(page: Int, perPage: Int), ValidationFailure> {
        var page = 1
        var perPage = 20
        for item in request.query {
            switch item.name {
            case "page":
                guard let value = Int(item.value), value >= 1 else { return .failure(ValidationFailure("page must be a positive integer")) }
                page = value
            case "per_page":
                guard let value = Int(item.value), value >= 1 else { return .failure(ValidationFailure("per_page must be a positive integer")) }
                perPage = min(value, 100)
            default: break
            }
        }
        return .success((page, perPage))
    }

    private func page(_ items: [JSONValue], _ request: SimRequest) -> SimResponse {
        switch pagination(request) {
        case .failure(let failure):
            return .error(422, failure.message)
        case .success(let (page, perPage)):
            let total = items.count
            let start = min(total, (page - 1) * perPage)
            let slice = Array(items[start..<min(total, start + perPage)])
            let meta = JSONValue.object([
                "page": .int(page), "per_page": .int(perPage),
                "total_pages": .int((total + perPage - 1) / perPage), "total_count": .int(total),
            ])
            return .json(200, .object(["data": .array(slice), "meta": meta]))
        }
    }

    private func listConfigs(_ request: SimRequest) -> SimResponse {
        let items = configs.sorted { $0.key < $1.key }.map { id, config in
            JSONValue.object([
                "id": .string(id),
                "name": config.name.map(JSONValue.string) ?? .null,
                "display_phone_number": config.displayPhoneNumber.map(JSONValue.string) ?? .null,
            ])
        }
        return page(items, request)
    }

    private func listWebhooks(_ configID: String, _ request: SimRequest) -> SimResponse {
        var hooks = Array(configs[configID]!.webhooks.reversed())
        for item in request.query {
            switch item.name {
            case "q[url_cont]":
                hooks = hooks.filter { $0.url.contains(item.value) }
            case "q[active_eq]":
                guard let flag = ["true": true, "false": false, "1": true, "0": false][item.value] else {
                    return .error(422, "q[active_eq] must be true or false")
                }
                hooks = hooks.filter { $0.active == flag }
            default: break
            }
        }
        return page(hooks.map(\.json), request)
    }

    /// The object inside `{"whatsapp_webhook": {...}}`, or the 4xx to answer.
    private func wrappedFields(_ request: SimRequest) -> Result<[String: JSONValue], SimResponse> {
        guard let value = try? JSONValue.parse(request.body) else {
            return .failure(.error(400, "The request body is not valid JSON"))
        }
        guard case .object(let fields)? = value["whatsapp_webhook"] else {
            return .failure(.error(422, "param is missing or the value is empty: whatsapp_webhook"))
        }
        return .success(fields)
    }

    private func createWebhook(_ configID: String, _ request: SimRequest) -> SimResponse {
        switch wrappedFields(request) {
        case .failure(let response): return response
        case .success(let fields):
            let now = Self.now()
            switch WebhookRecord.create(from: fields, id: UUID().uuidString.lowercased(), now: now) {
            case .failure(let failure): return .error(422, failure.message)
            case .success(let record):
                configs[configID]!.webhooks.append(record)
                return .json(201, .object(["data": record.json]))
            }
        }
    }

    private func updateWebhook(_ configID: String, _ index: Int, _ request: SimRequest) -> SimResponse {
        switch wrappedFields(request) {
        case .failure(let response): return response
        case .success(let fields):
            var record = configs[configID]!.webhooks[index]
            if let failure = record.apply(fields) { return .error(422, failure.message) }
            record.updatedAt = Self.now()
            configs[configID]!.webhooks[index] = record
            return .json(200, .object(["data": record.json]))
        }
    }

    private static func now() -> String {
        timestamp(Date())
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Seeded webhooks without `created_at` get one second apart, from 2025-01-01.
    private static func seedTime(_ offset: Int) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: 1_735_689_600 + Double(offset)))
    }
}
