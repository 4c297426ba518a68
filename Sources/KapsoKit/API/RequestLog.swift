import Foundation
import Synchronization

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
    /// Why no response arrived, when none did (in words).
    public var failure: String?
    /// Seconds the client waits before trying again, when it will.
    public var retryIn: TimeInterval?

    public init(method: String, path: String, status: Int?, milliseconds: Int, attempt: Int, failure: String? = nil,
                retryIn: TimeInterval? = nil) {
        self.method = method
        self.path = path
        self.status = status
        self.milliseconds = milliseconds
        self.attempt = attempt
        self.failure = failure
        self.retryIn = retryIn
    }

    public var description: String {
        let outcome = status.map { "\($0)" + ($0 >= 300 ? " \(APIError.phrase($0))" : "") } ?? (failure ?? "no response")
        var text = "\(method) \(path) → \(outcome) in \(milliseconds) ms"
        if attempt > 1 { text += " (attempt \(attempt))" }
        if let retryIn { text += "; retrying in \(String(format: "%.1f", retryIn)) s" }
        return text
    }
}

/// Receives every request the client sends.
public typealias RequestLogger = @Sendable (RequestLogEntry) -> Void

/// The requests sent within one task (and its child tasks), with their final status and
/// attempts: how `apply` learns what became of each write's request without every client method
/// returning it. Bound with `RequestTrace.$current.withValue(trace) { ... }`.
public final class RequestTrace: Sendable {
    public struct Record: Sendable, Equatable {
        public var method: String
        /// The final status, or nil when no answer came.
        public var status: Int?
        public var attempts: Int
    }

    @TaskLocal public static var current: RequestTrace?

    private let records = Mutex<[Record]>([])

    public init() {}

    func record(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    public var all: [Record] { records.withLock { $0 } }

    /// The last request that was not a read: a write's own request.
    public var lastWrite: Record? { all.last { $0.method != "GET" } }
}
