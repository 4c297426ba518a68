import Foundation

/// Faults the simulator injects, for tests of retries, rate limits and unknown outcomes.
/// Counts ("first N") start when the plan is set; fractions draw from a generator seeded by `seed`.
public struct FaultPlan: Sendable, Equatable, Codable {
    /// Delay added before answering every API request (after it is processed and journalled).
    public var latencyMilliseconds = 0
    /// Further delay before answering a write (POST, PATCH, DELETE): holds an answer back while
    /// reads stay fast (tests interrupt a run while its write is in flight).
    public var writeLatencyMilliseconds = 0
    /// The first N API requests get 429.
    public var rateLimitFirst = 0
    /// This fraction of API requests gets 429.
    public var rateLimitFraction = 0.0
    /// The `Retry-After` of an injected 429, in seconds; nil sends none.
    public var retryAfterSeconds: Int? = 1
    /// When set, a real limit: more than this many API requests within 60 s get 429, and every
    /// response carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`.
    public var requestsPerMinute: Int?
    /// The first N API requests get 503.
    public var serverErrorFirst = 0
    /// This fraction of API requests gets 503.
    public var serverErrorFraction = 0.0
    /// The first N writes (POST, PATCH, DELETE) have their connection dropped before they are stored.
    public var dropBeforeWriteFirst = 0
    /// The first N writes are stored, then their connection is dropped without an answer.
    public var dropAfterWriteFirst = 0
    /// The first N times the first page of a webhook list that has more pages is served, the
    /// config's newest webhook is deleted right after, as if by someone else between two page
    /// reads: the later pages shift by one.
    public var listShiftFirst = 0
    /// The first N creates (POST) race another client: an identical webhook is stored first, one
    /// second older, as a concurrent apply of the same spec would have created it.
    public var concurrentCreateFirst = 0
    /// Seed of the generator behind the fractions.
    public var seed: UInt64 = 1

    public init() {}

    public static let none = FaultPlan()

    enum CodingKeys: String, CodingKey {
        case latencyMilliseconds = "latency_ms"
        case writeLatencyMilliseconds = "write_latency_ms"
        case rateLimitFirst = "rate_limit_first"
        case rateLimitFraction = "rate_limit_fraction"
        case retryAfterSeconds = "retry_after"
        case requestsPerMinute = "requests_per_minute"
        case serverErrorFirst = "server_error_first"
        case serverErrorFraction = "server_error_fraction"
        case dropBeforeWriteFirst = "drop_before_write"
        case dropAfterWriteFirst = "drop_after_write"
        case listShiftFirst = "list_shift"
        case concurrentCreateFirst = "concurrent_create"
        case seed
    }

    /// Every key is optional in JSON (`PUT /__sim/faults`), so a test names only what it needs.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        latencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
        writeLatencyMilliseconds = try c.decodeIfPresent(Int.self, forKey: .writeLatencyMilliseconds) ?? 0
        rateLimitFirst = try c.decodeIfPresent(Int.self, forKey: .rateLimitFirst) ?? 0
        rateLimitFraction = try c.decodeIfPresent(Double.self, forKey: .rateLimitFraction) ?? 0
        // Absent: 1 s; null: no Retry-After header at all.
        retryAfterSeconds = c.contains(.retryAfterSeconds) ? try c.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) : 1
        requestsPerMinute = try c.decodeIfPresent(Int.self, forKey: .requestsPerMinute)
        serverErrorFirst = try c.decodeIfPresent(Int.self, forKey: .serverErrorFirst) ?? 0
        serverErrorFraction = try c.decodeIfPresent(Double.self, forKey: .serverErrorFraction) ?? 0
        dropBeforeWriteFirst = try c.decodeIfPresent(Int.self, forKey: .dropBeforeWriteFirst) ?? 0
        dropAfterWriteFirst = try c.decodeIfPresent(Int.self, forKey: .dropAfterWriteFirst) ?? 0
        listShiftFirst = try c.decodeIfPresent(Int.self, forKey: .listShiftFirst) ?? 0
        concurrentCreateFirst = try c.decodeIfPresent(Int.self, forKey: .concurrentCreateFirst) ?? 0
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
    }
}

/// SplitMix64: a small deterministic generator, so fault fractions (and the tests' fuzz inputs)
/// repeat run after run.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One request the simulator received, and what it did.
public struct JournalEntry: Sendable, Equatable, Codable {
    public var method: String
    /// The path, e.g. `/api/v1/whatsapp_configs/…/whatsapp_webhooks`.
    public var path: String
    /// The raw query string, without `?` (empty when none).
    public var query: String
    /// The body as text (empty when none).
    public var body: String
    /// The status sent, or 0 when the connection was dropped.
    public var status: Int
    /// The injected fault, if any: `rate_limit`, `server_error`, `drop_before_write`, `drop_after_write`,
    /// `list_shift`, `concurrent_create`.
    public var fault: String?

    public init(method: String, path: String, query: String, body: String, status: Int, fault: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.status = status
        self.fault = fault
    }

    /// True for POST, PATCH, PUT and DELETE.
    public var isWrite: Bool { ["POST", "PATCH", "PUT", "DELETE"].contains(method) }
}
