/// What happened to each planned write.
public struct ApplyReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The write took effect; the text says what (e.g. the new id).
        case done(String)
        /// The write failed; the text is the reason (request, status, server message).
        case failed(String)
        /// The write was sent but its outcome could not be established.
        case unknown(String)
        /// Never sent (interrupted, or stopped by an earlier refusal).
        case notAttempted

        /// `done`, `FAILED`, `UNKNOWN` or `not attempted`, as the report's first column says it.
        public var word: String {
            switch self {
            case .done: "done"
            case .failed: "FAILED"
            case .unknown: "UNKNOWN"
            case .notAttempted: "not attempted"
            }
        }
    }

    /// One write and its outcome. Holds no request body (bodies hold secrets).
    public struct Entry: Sendable {
        public var write: WriteSummary
        public var outcome: Outcome
        /// The id of the webhook this run's POST created (known only from its answer).
        public internal(set) var createdID: String?
        /// The final status of the write's request, nil when none came (or none was sent).
        public internal(set) var status: Int?
        /// How many times the write's request was sent, nil when it was not.
        public internal(set) var attempts: Int?
        /// True when the write failed but changed the server on the way (a replace whose new
        /// webhook was created and whose old one could not be deleted): the run is partial.
        public internal(set) var changedServer = false

        init(_ write: WriteSummary, _ outcome: Outcome, createdID: String? = nil) {
            self.write = write
            self.outcome = outcome
            self.createdID = createdID
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public var done: Int { entries.filter { if case .done = $0.outcome { true } else { false } }.count }
    public var failed: Int { entries.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var unknown: Int { entries.filter { if case .unknown = $0.outcome { true } else { false } }.count }
    public var notAttempted: Int { entries.filter { $0.outcome == .notAttempted }.count }

    /// 0 when every write is done; 1 when nothing was written; 3 when some writes were done (or
    /// may have been) and others failed or were not attempted.
    public var exitCode: Int32 {
        if done == entries.count { return 0 }
        if done == 0 && unknown == 0 && !entries.contains(where: \.changedServer) { return 1 }
        return 3
    }
}
