import Foundation

/// When and how long to wait before sending a request again.
///
/// GET, PATCH and DELETE are retried on 429, 5xx and failed connections; a POST only on 429 (the
/// server refused it unprocessed). Delays grow exponentially with jitter and a `Retry-After` is
/// waited exactly. Retries end when the next wait would overrun the **budget** (seconds for all
/// attempts of one request, waits included; `--retry-budget`), not after a small count: a storm
/// of 429s or a minute of 503s during a deploy is ridden out. Requests that get no answer at all
/// (refused, unknown host, timed out) are tried at most `maxConnectionAttempts` times, since those
/// rarely heal within minutes and the operator should hear of them soon.
public struct RetryPolicy: Sendable, Equatable {
    /// Seconds that all attempts of one request may take together, waits included.
    public var budget: TimeInterval
    /// Delay before the first retry, in seconds (doubled each time up to `maxDelay`, then jittered to 50–100 %).
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// Attempts at most for a request that gets no answer.
    public var maxConnectionAttempts: Int

    public init(budget: TimeInterval = RetryPolicy.defaultBudget, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 10,
                maxConnectionAttempts: Int = 5) {
        self.budget = budget
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxConnectionAttempts = maxConnectionAttempts
    }

    /// Two minutes: longer than a typical rate-limit window (`Retry-After: 60`), short enough for CI.
    public static let defaultBudget: TimeInterval = 120
    public static let standard = RetryPolicy()
    /// One attempt, no retry.
    public static let none = RetryPolicy(budget: 0, maxConnectionAttempts: 1)

    /// Why no further attempt is made.
    enum Stop: Sendable, Equatable {
        /// The next wait would overrun the budget.
        case budget
        /// `maxConnectionAttempts` requests got no answer.
        case attempts
        /// The server asked for a wait longer than ``longestAnnouncedWait``.
        case announcedWait
    }

    /// The longest single wait a server may announce (`Retry-After`) and have kapsoctl wait it out,
    /// and the most one request waits on announcements in all.
    public static let longestAnnouncedWait: TimeInterval = 300
    public static let announcedWaitsInAll: TimeInterval = 1800

    /// The wait before attempt `attempt + 1`, or why there is none.
    /// - Parameters:
    ///   - unanswered: how many of the attempts so far got no answer.
    ///   - retryAfter: the server's `Retry-After`, when it sent one.
    ///   - elapsed: seconds since the first attempt started, less the waits the server announced.
    ///
    /// A wait the server announces (`Retry-After`: a rate limit such as Kapso's 100 requests a
    /// minute) is pacing, not failure: it is waited out whole and does not spend the budget (up to
    /// ``longestAnnouncedWait`` at a time). The budget bounds the time spent on errors.
    ///   - announced: seconds already waited on announcements for this request.
    ///   - pacing: the announcement came with a 429 (a rate limit); with a 5xx it is an error's
    ///     wait, within the budget.
    func delay(afterAttempt attempt: Int, unanswered: Int, retryAfter: TimeInterval?,
               elapsed: TimeInterval, announced: TimeInterval = 0, pacing: Bool = true) -> Result<TimeInterval, RetryStop> {
        if unanswered >= maxConnectionAttempts { return .failure(RetryStop(reason: .attempts)) }
        if let retryAfter, !pacing {
            let wait = max(0, retryAfter)
            return elapsed + wait <= budget ? .success(wait) : .failure(RetryStop(reason: .budget))
        }
        if let retryAfter {
            guard budget > 0 else { return .failure(RetryStop(reason: .budget)) }
            let wait = max(0, retryAfter)
            guard wait <= Self.longestAnnouncedWait, announced + wait <= Self.announcedWaitsInAll else {
                return .failure(RetryStop(reason: .announcedWait))
            }
            return .success(wait)
        }
        let exponential = min(maxDelay, baseDelay * pow(2, Double(min(attempt, 30) - 1)))
        let wait = exponential * Double.random(in: 0.5...1.0)
        return elapsed + wait <= budget ? .success(wait) : .failure(RetryStop(reason: .budget))
    }

    /// `Retry-After` as seconds: an integer, or an HTTP date.
    static func parseRetryAfter(_ value: String?) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// Why a request was not tried again (wrapped so `Result` can carry it).
struct RetryStop: Error, Equatable {
    var reason: RetryPolicy.Stop
}
