import Foundation
import KapsoKit

/// The simulator's state and behaviour: both API generations over one in-memory store (the legacy
/// API under `/api/v1`, the Platform API under `/platform/v1`), the injected faults and the request
/// journal. One actor, so requests apply one at a time, in arrival order.
public actor SimulatorStore {
    struct Config {
        var name: String?
        var displayPhoneNumber: String?
        /// Oldest first; lists answer newest first.
        var webhooks: [WebhookRecord] = []
    }

    /// A Platform phone number; its webhooks are those of its config (`configKey`).
    struct Number {
        var phoneNumberID: String
        var configKey: String
        var name: String?
        var displayPhoneNumber: String?
    }

    static let prefix = "/api/v1"
    static let platformPrefix = "/platform/v1"
    /// The one project the simulator serves.
    static let projectID = "00000000-0000-4000-8000-00000000beef"

    let apiKey: String
    var configs: [String: Config] = [:]
    var numbers: [Number] = []
    /// Project webhooks (Platform API), oldest first.
    var projectHooks: [WebhookRecord] = []
    /// Webhooks' Platform JSON, by id (``platformBytes(_:phoneNumberID:)``).
    var platformBytesKept: [String: (record: WebhookRecord, phoneNumberID: String?, bytes: Data)] = [:]
    var features = ServerFeatures()
    /// The next webhook's place in creation order.
    var serial = 0
    var entries: [JournalEntry] = []
    var journalWaiters: [(condition: @Sendable ([JournalEntry]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    /// Test deliveries sent (``DeliveryRecord``), and who waits for a number of them.
    var deliveryLog: [DeliveryRecord] = []
    var deliveryWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Kapso's delivery history (``HistoryDelivery``), in recording order.
    var history: [HistoryDelivery] = []
    var historySequence = 0
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
        // A synchronous actor initialiser cannot call the actor's methods: the seed is built in a
        // plain value first, by the same rules as requests.
        var state = SeedState(features: seed.features)
        for config in seed.configs {
            state.configs[config.id] = Config(name: config.name, displayPhoneNumber: config.displayPhoneNumber)
            for (index, value) in config.webhooks.enumerated() {
                state.configs[config.id]!.webhooks.append(try state.seeded(value, "config \(config.id) webhook #\(index + 1)", scope: nil))
            }
        }
        for number in seed.phoneNumbers {
            let key = number.internalID ?? UUID().uuidString.lowercased()
            if state.configs[key] == nil { state.configs[key] = Config(name: number.name, displayPhoneNumber: number.displayPhoneNumber) }
            state.numbers.append(Number(phoneNumberID: number.phoneNumberID, configKey: key, name: number.name,
                                        displayPhoneNumber: number.displayPhoneNumber))
            for (index, value) in number.webhooks.enumerated() {
                let record = try state.seeded(value, "phone number \(number.phoneNumberID) webhook #\(index + 1)",
                                              scope: .phoneNumber(number.phoneNumberID))
                state.configs[key]!.webhooks.append(record)
            }
        }
        for (index, value) in seed.projectWebhooks.enumerated() {
            state.projectHooks.append(try state.seeded(value, "project webhook #\(index + 1)", scope: .project))
        }
        configs = state.configs
        numbers = state.numbers
        projectHooks = state.projectHooks
        features = state.features
        serial = state.serial
        clock = state.clock
        history = Self.seededHistory(seed.deliveries, configs: configs, numbers: numbers, projectHooks: projectHooks, now: Date())
        historySequence = history.count
    }

    func nextSerial() -> Int {
        serial += 1
        return serial
    }

    /// A webhook under the Platform API's rules (see ``Rules/platformRecord``), in this store.
    func platformRecord(_ fields: [String: JSONValue], id: String, now: String, scope: WebhookScope,
                        replacing existing: WebhookRecord?) -> Result<WebhookRecord, SimResponse> {
        Rules.platformRecord(fields, id: id, now: now, scope: scope, replacing: existing, serial: nextSerial(),
                             numbers: numbers, configs: configs, features: features)
    }
}

/// The store's contents while a seed is loaded.
struct SeedState {
    var configs: [String: SimulatorStore.Config] = [:]
    var numbers: [SimulatorStore.Number] = []
    var projectHooks: [WebhookRecord] = []
    var features: ServerFeatures
    var serial = 0
    var clock = 0

    /// A seeded webhook, checked like a create body: of the legacy API (no scope), or of the
    /// Platform API in its scope.
    mutating func seeded(_ value: JSONValue, _ what: String, scope: WebhookScope?) throws(SeedError) -> WebhookRecord {
        guard case .object(var fields) = value else { throw SeedError("\(what): expected an object") }
        let id: String
        if case .string(let given)? = fields["id"] {
            guard UUID(uuidString: given) != nil else { throw SeedError("\(what): id '\(given)' is not a UUID") }
            id = given.lowercased()
        } else {
            id = UUID().uuidString.lowercased()
        }
        let created: String
        if case .string(let given)? = fields["created_at"] { created = given } else { created = SimulatorStore.seedTime(clock) }
        clock += 1
        serial += 1
        fields["id"] = nil
        let result: Result<WebhookRecord, SimResponse> = if let scope {
            Rules.platformRecord(fields, id: id, now: created, scope: scope, replacing: nil, serial: serial,
                                 numbers: numbers, configs: configs, features: features)
        } else {
            WebhookRecord.create(from: fields, id: id, now: created, serial: serial, newEvents: features.newEvents).mapError { SimResponse.error(422, $0.message) }
        }
        switch result {
        case .success(var record):
            if case .string(let updated)? = fields["updated_at"] { record.updatedAt = updated }
            return record
        case .failure(let response):
            let message = (try? JSONValue.parse(response.body))?["error"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? "invalid"
            throw SeedError("\(what): \(message)")
        }
    }
}

extension SimulatorStore {

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

    /// The webhooks of a scope as the Platform API lists them (newest first), or nil for an unknown number.
    public func platformWebhooks(_ scope: WebhookScope) -> [JSONValue]? {
        switch scope {
        case .phoneNumber(let id):
            guard let number = numbers.first(where: { $0.phoneNumberID == id }) else { return nil }
            return (configs[number.configKey]?.webhooks ?? []).reversed().map { $0.platformJSON(phoneNumberID: id) }
        case .project: return projectHooks.reversed().map { $0.platformJSON(phoneNumberID: nil) }
        case .config: return nil
        }
    }

    /// The webhooks of a config as the API returns them (newest first), or nil for an unknown config.
    public func webhooks(configID: String) -> [JSONValue]? {
        configs[configID].map { $0.webhooks.reversed().map(\.json) }
    }

    // MARK: - Requests

    /// The latency to add before answering a request with `method`, in milliseconds.
    public func latency(for method: String) -> Int {
        faults.latencyMilliseconds + (JournalEntry.isWrite(method) ? faults.writeLatencyMilliseconds : 0)
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
        let deliveries = deliveryWaiters
        deliveryWaiters.removeAll()
        for waiter in deliveries { waiter.continuation.resume() }
    }

    /// Handles one API request (path below the origin, query items decoded) and journals it. The
    /// entry point of every HTTP front end: FlyingFox here, and the tests' own raw-socket server.
    public func respond(method: String, path: String, query: [(name: String, value: String)], apiKey: String?,
                        body: Data, userAgent: String? = nil) -> SimulatorAnswer {
        let rawQuery = query.map { "\(Self.encode($0.name))=\(Self.encode($0.value))" }.joined(separator: "&")
        let response = handle(SimRequest(method: method, path: path, query: query, rawQuery: rawQuery, apiKey: apiKey, body: body,
                                         userAgent: userAgent))
        return SimulatorAnswer(status: response.status, headers: response.headers, body: response.body, drop: response.drop)
    }

    private static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~[]"))) ?? text
    }

    func handle(_ request: SimRequest) -> SimResponse {
        let isWrite = JournalEntry.isWrite(request.method)
        let (response, fault) = respond(to: request, isWrite: isWrite)
        entries.append(JournalEntry(method: request.method, path: request.path, query: request.rawQuery,
                                    body: String(decoding: request.body, as: UTF8.self),
                                    status: response.drop ? 0 : response.status, fault: fault, userAgent: request.userAgent))
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

    /// A webhook collection a request path names: a config's (legacy), a number's, or the
    /// project's (Platform; its list holds every webhook).
    enum Collection {
        case config(String)
        case number(Number)
        case project
    }

    func collection(_ path: String) -> Collection? {
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 5, parts[0] == "api", parts[2] == "whatsapp_configs", parts[4] == "whatsapp_webhooks", let key = configKey(parts[3]) {
            return .config(key)
        }
        if parts.count == 6, parts[0] == "platform", parts[2] == "whatsapp", parts[3] == "phone_numbers", parts[5] == "webhooks",
           let number = numbers.first(where: { $0.phoneNumberID == parts[4] }) {
            return .number(number)
        }
        if parts.count == 4, parts[0] == "platform", parts[2] == "whatsapp", parts[3] == "webhooks" { return .project }
        return nil
    }

    /// The `concurrent_create` fault: before a valid POST, store the same webhook as created by
    /// another client a second earlier.
    private func raceCreate(_ request: SimRequest) -> Bool {
        guard request.method == "POST", concurrentCreates < faults.concurrentCreateFirst,
              let target = collection(request.path), case .success(let fields) = wrappedFields(request) else { return false }
        let earlier = Self.timestamp(Date().addingTimeInterval(-1))
        switch target {
        case .config(let key):
            guard case .success(let twin) = WebhookRecord.create(from: fields, id: UUID().uuidString.lowercased(), now: earlier,
                                                                 serial: nextSerial(), newEvents: features.newEvents) else { return false }
            configs[key]!.webhooks.append(twin)
        case .number(let number):
            guard case .success(let twin) = platformRecord(fields, id: UUID().uuidString.lowercased(), now: earlier,
                                                           scope: .phoneNumber(number.phoneNumberID), replacing: nil) else { return false }
            configs[number.configKey]!.webhooks.append(twin)
        case .project:
            guard fields["phone_number_id"] == nil || fields["phone_number_id"] == .null,
                  case .success(let twin) = platformRecord(fields, id: UUID().uuidString.lowercased(), now: earlier, scope: .project,
                                                           replacing: nil) else { return false }
            projectHooks.append(twin)
        }
        concurrentCreates += 1
        return true
    }

    /// The stored key of a config id from a request path, when the config exists. Config ids match
    /// exactly, as seeded: a client must send the id as the server lists it.
    func configKey(_ id: String) -> String? {
        configs[id] != nil ? id : nil
    }

    /// The `list_shift` fault: after page 1 of a webhook list with more pages, delete the list's
    /// newest webhook (someone else's delete between two page reads).
    private func shiftList(after request: SimRequest) -> String? {
        guard listShifts < faults.listShiftFirst, let target = collection(request.path) else { return nil }
        let page = request.query.first { $0.name == "page" }.flatMap { Int($0.value) } ?? 1
        let perPage = min(100, request.query.first { $0.name == "per_page" }.flatMap { Int($0.value) } ?? 20)
        guard page == 1 else { return nil }
        switch target {
        case .config, .number:
            let key = switch target {
            case .config(let key): key
            case .number(let number): number.configKey
            case .project: ""
            }
            guard configs[key]!.webhooks.count > perPage else { return nil }
            configs[key]!.webhooks.removeLast()
        case .project:
            let newest = numbers.flatMap { n in (configs[n.configKey]?.webhooks ?? []).map { ($0.serial, $0.id) } }
                + projectHooks.map { ($0.serial, $0.id) }
            guard newest.count > perPage, let (_, id) = newest.max(by: { $0.0 < $1.0 }), let place = find(id) else { return nil }
            switch place {
            case .number(let number, let index): configs[number.configKey]!.webhooks.remove(at: index)
            case .project(let index): projectHooks.remove(at: index)
            }
        }
        listShifts += 1
        return "list_shift"
    }

    private func draw(_ fraction: Double) -> Bool {
        guard fraction > 0 else { return false }
        return Double.random(in: 0..<1, using: &generator) < fraction
    }
}
