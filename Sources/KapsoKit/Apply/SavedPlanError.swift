/// Why a plan could not be saved, read or carried out. Nothing is written in any of these cases.
public enum SavedPlanError: ReportedError, Sendable, Equatable {
    case unreadable(path: String)
    case notAPlan(path: String, reason: String)
    case unsupportedFormat(path: String, found: String)
    case damaged(path: String, what: String)
    /// `plan --out` of a spec whose secrets (to be sent) are written literally.
    case literalSecrets([String])
    /// `KAPSO_API_KEY` is not the key the plan was made with.
    case otherAPIKey
    /// The API URL is not the plan's.
    case otherServer(plan: String, now: String)
    /// The server or a secret changed since the plan.
    case stale([String])
    /// The spec files are not those the plan was made from.
    case specChanged([String])
    /// `plan --out` of a spec read from standard input.
    case specFromStandardInput

    /// Each reason in words.
    public var messages: [String] {
        switch self {
        case .unreadable(let path): ["\(path): cannot read the plan file"]
        case .notAPlan(let path, let reason): ["\(path): not a kapsoctl plan file (\(reason))"]
        case .unsupportedFormat(let path, let found):
            ["\(path): plan format \(found) is not supported; this kapsoctl reads format \(SavedPlan.formatVersion) (run 'kapsoctl plan --out' again)"]
        case .damaged(let path, let what): ["\(path): \(what)"]
        case .literalSecrets(let problems): problems
        case .otherAPIKey:
            ["the plan was made with another API key than KAPSO_API_KEY holds now; nothing was written. Run 'kapsoctl plan --out' again with this key."]
        case .otherServer(let plan, let now): ["the plan was made against \(plan), not \(now); nothing was written"]
        case .stale(let problems): problems + ["the saved plan is stale; nothing was written. Run 'kapsoctl plan --out' again."]
        case .specChanged(let problems):
            problems + ["the plan was made from other spec files than these (for another commit?); nothing was written. Run 'kapsoctl plan --out' on this commit's spec."]
        case .specFromStandardInput:
            ["a saved plan records the spec files it was made from, so that 'apply PLAN.json' can check they are unchanged; -f - is not a file. Write the spec to a file and plan that."]
        }
    }

    public var report: String { messages.map { "error: \($0)" }.joined(separator: "\n") }
}
