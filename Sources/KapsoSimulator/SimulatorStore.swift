import Foundation
import KapsoKit

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

    let apiKey: String
    var configs: [String: Config] = [:]
    var entries: [JournalEntry] = []
    var journalWaiters: [(condition: @Sendable ([JournalEntry]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    var faults = FaultPlan.none
    var generator = SeededGenerator(seed: 1)
    var apiRequests = 0
    var writes = 0
    var listShifts = 0
    var concurrentCreates = 0
    var recentRequests: [Date] = []
    var clock: Int = 0

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
    func configKey(_ id: String) -> String? {
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
}
