/// The apply report as text (its JSON form is ``ApplyReport/json()``, beside it in Render/).
extension ApplyReport {
    /// One line per write, then the counts.
    public func rendered() -> String {
        var lines: [String] = []
        for entry in entries {
            let write = entry.write
            let target = HumanText.escape("\(write.action.rawValue) \(write.displayURL)" + (write.webhookID.map { " [id \($0)]" } ?? "")
                                          + " in \(write.scope)")
            switch entry.outcome {
            case .done(let detail): lines.append("  done           \(target): \(HumanText.escape(detail))")
            case .failed(let reason): lines.append("  FAILED         \(target): \(HumanText.escape(reason))")
            case .unknown(let reason): lines.append("  UNKNOWN        \(target): \(HumanText.escape(reason))")
            case .notAttempted: lines.append("  not attempted  \(target)")
            }
        }
        var summary = "Apply: \(done) done, \(failed) failed, \(notAttempted) not attempted"
        if unknown > 0 { summary += ", \(unknown) with unknown outcome" }
        lines.append(summary + ".")
        return lines.joined(separator: "\n") + "\n"
    }
}
