import Foundation

/// What `verify` prints: one block per scope (a heading, then per webhook its URL and event and its
/// lines), the summary line, and under `--format github` the fence and an annotation at the
/// declaration of each webhook that failed (a notice with the summary when none did).
public struct VerifyReport: Sendable {
    public var entries: [VerifyOutcome]
    public var summary: String

    public init(entries: [VerifyOutcome], summary: String) {
        self.entries = entries
        self.summary = summary
    }

    public var hasFailures: Bool { entries.contains(where: \.failed) }

    /// The report's text lines (between the github fence, when there is one).
    public var textLines: [String] {
        var out: [String] = []
        var current: WebhookScope?
        for entry in entries {
            let item = entry.item
            if item.config.scope != current {
                if current != nil { out.append("") }
                current = item.config.scope
                out.append(item.config.scope.title + (item.config.name.map { " (\($0))" } ?? ""))
            }
            let what = item.event.map { " — \($0), payload \(SampleDelivery.payloadVersion(of: item.webhook.attributes))" } ?? ""
            out.append("  \(item.webhook.displayURL)\(what)")
            out += entry.lines.map { $0.isEmpty ? "" : "    \($0)" }
        }
        out.append("")
        out.append(summary)
        return out
    }

    /// Under `--format github`, after the fence: an error at each failed webhook's declaration, or a
    /// notice with the summary.
    public var annotations: [String] {
        let failures = entries.filter(\.failed)
        guard !failures.isEmpty else { return [WorkflowCommands.annotation(.notice, summary, title: "kapsoctl verify")] }
        return failures.map { entry in
            let webhook = entry.item.webhook
            return WorkflowCommands.annotation(.error, "\(webhook.displayURL): " + entry.lines.joined(separator: "\n"), file: webhook.location.file,
                                               line: webhook.location.line, column: webhook.location.column, title: "kapsoctl verify")
        }
    }

    /// `--dry-run`: the delivery `item` would get, its signature and sensitive header values masked.
    public static func dryRunLines(_ item: VerifyItem, policy: DeliveryPolicy, probe: Bool, time: Date) -> [String] {
        guard let target = item.target else { return ["would not send: \(item.cannot ?? "nothing to send")"] }
        if let refusal = policy.originRefusal(target.url) { return ["would not send: \(refusal)"] }
        let delivery = target.delivery(signing: .correct, idempotencyKey: "(a new UUID for each delivery)", time: time)
        var lines = ["POST \(item.webhook.displayURL)"]
        for header in delivery.headers {
            let masked = header.name == "X-Webhook-Signature" || item.webhook.sensitiveHeaders.contains(header.name.lowercased())
            lines.append("\(header.name): \(masked ? Redactor.mask : header.value)")
        }
        lines.append("")
        let body = String(decoding: (try? JSONValue.parse(Data(delivery.body)))?.pretty() ?? Data(delivery.body), as: UTF8.self)
        lines += body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        if probe { lines.append("(and the same with a wrong signature, and with none)") }
        return lines
    }
}
