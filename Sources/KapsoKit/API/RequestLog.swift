/// One line of `--verbose` output: a request that was sent and what came of it.
/// Holds no header and no body, so neither the API key nor a secret can reach a log.
public struct RequestLogEntry: Sendable, Equatable, CustomStringConvertible {
    public var method: String
    /// Path and query below the base URL.
    public var path: String
    /// The status, or nil when no response arrived.
    public var status: Int?
    public var milliseconds: Int
    /// 1 for the first try.
    public var attempt: Int
    /// Why no response arrived, when none did.
    public var failure: String?

    public var description: String {
        let outcome = status.map(String.init) ?? (failure ?? "no response")
        let retry = attempt > 1 ? " (attempt \(attempt))" : ""
        return "\(method) \(path) → \(outcome) in \(milliseconds) ms\(retry)"
    }
}

/// Receives every request the client sends.
public typealias RequestLogger = @Sendable (RequestLogEntry) -> Void
