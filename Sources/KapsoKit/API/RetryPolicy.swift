import Foundation

/// When and how long to wait before sending a request again.
///
/// GET, PATCH and DELETE are retried on 429, 5xx and connection failures; a POST only on 429
/// (the server refused it unprocessed). Delays grow exponentially with jitter, a `Retry-After`
/// is honoured, and all retries of one request fit in `totalBudget`.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    /// Delay before the first retry, in seconds (doubled each time, then jittered to 50–100 %).
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    /// Seconds that all attempts of one request may take together, waits included.
    public var totalBudget: TimeInterval

    public init(maxAttempts: Int = 5, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 10,
                totalBudget: TimeInterval = 120) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.totalBudget = totalBudget
    }

    public static let standard = RetryPolicy()
    /// One attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1`, or nil when no further attempt fits.
    func delay(afterAttempt attempt: Int, retryAfter: TimeInterval?, elapsed: TimeInterval) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        let wait: TimeInterval
        if let retryAfter {
            wait = max(0, retryAfter)
        } else {
            let exponential = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
            wait = exponential * Double.random(in: 0.5...1.0)
        }
        return elapsed + wait <= totalBudget ? wait : nil
    }

    /// `Retry-After` as seconds: an integer, or an HTTP date.
    static func parseRetryAfter(_ value: String?) -> TimeInterval? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}
