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
    /// Kapso's pausing (off when nil): after this many failed deliveries of a webhook in a row, its
    /// `active` becomes false (Kapso's own rule is about 15 minutes at 85 % failures or more).
    public var pauseAfterFailures: Int?

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
        case pauseAfterFailures = "pause_after_failures"
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
        pauseAfterFailures = try c.decodeIfPresent(Int.self, forKey: .pauseAfterFailures)
    }
}
