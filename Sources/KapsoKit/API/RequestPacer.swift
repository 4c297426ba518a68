import Foundation

/// Paces the requests of one client by what the server says about its rate limit.
///
/// - A 429 with `Retry-After` holds back every request of the client, not only the one refused, so
///   concurrent requests do not each run into the limit.
/// - When `X-RateLimit-Remaining` falls to the number of requests that may be in flight, request
///   starts are spaced at `60 s / X-RateLimit-Limit` (the documented limits are per minute), so the
///   last of the budget is spread out instead of spent in one burst.
actor RequestPacer {
    private var notBefore = Date.distantPast
    private var spacing: TimeInterval = 0
    private var lastStart = Date.distantPast
    /// At or below this many remaining requests, starts are spaced.
    private let threshold: Int

    init(threshold: Int) {
        self.threshold = max(1, threshold)
    }

    /// Waits until a request may start, and books that start.
    func waitTurn() async {
        let now = Date()
        let start = max(now, notBefore, spacing > 0 ? lastStart.addingTimeInterval(spacing) : now)
        lastStart = start
        let wait = start.timeIntervalSince(now)
        if wait > 0 {
            try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
        }
    }

    /// Learns from a response's status and headers (lowercased names).
    func observe(status: Int, headers: [String: String]) {
        if status == 429, let retryAfter = RetryPolicy.parseRetryAfter(headers["retry-after"]) {
            notBefore = max(notBefore, Date().addingTimeInterval(retryAfter))
        }
        if let remaining = headers["x-ratelimit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
           let limit = headers["x-ratelimit-limit"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), limit > 0 {
            spacing = remaining <= threshold ? 60 / Double(limit) : 0
        }
    }

    /// The current spacing between starts, in seconds (for tests).
    var currentSpacing: TimeInterval { spacing }

    /// No request starts before this instant (for tests).
    var heldUntil: Date { notBefore }
}
