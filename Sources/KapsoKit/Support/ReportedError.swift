/// An error that ends a run (exit 1), reported once, by `Kapsoctl.runMain`.
///
/// Each area has its own error type that keeps its cause (`SpecFailure`, `APIError`,
/// `StateReadError`, `PlanError`, `SavedPlanError` ...); `report` is its whole text for the
/// operator: one or more lines, each starting `error:` or naming a file position.
public protocol ReportedError: Error {
    var report: String { get }
}
