import Foundation

/// `kapsoctl status`'s outputs: text (one block per scope, as `plan`), markdown (an issue or a
/// comment), GitHub annotations at each unhealthy webhook's declaration, and a versioned JSON
/// document. URLs are shown masked (``URLDisplay``); nothing else of a webhook is shown.
public struct HealthReport: Sendable {
    public static let jsonFormatVersion = 1

    public var webhooks: [WebhookHealth]
    public var period: DeliveryPeriod

    public init(webhooks: [WebhookHealth], period: DeliveryPeriod) {
        self.webhooks = webhooks
        self.period = period
    }

    public var unhealthy: Int { webhooks.filter(\.state.isUnhealthy).count }
    /// 0 when every webhook is healthy or idle, 2 when any is failing, paused or missing.
    public var exitCode: Int32 { unhealthy > 0 ? 2 : 0 }
    public var requests: Int { webhooks.reduce(0) { $0 + $1.requests } }

    public var summaryLine: String {
        var counts: [String] = []
        for state in HealthState.allCases {
            let count = webhooks.filter { $0.state == state }.count
            if count > 0 { counts.append("\(count) \(state.rawValue)") }
        }
        return "Status (\(period.rawValue)): \(counts.isEmpty ? "no webhooks" : counts.joined(separator: ", ")) — \(requests) request\(requests == 1 ? "" : "s") for the deliveries."
    }

    private static func counts(_ health: WebhookHealth) -> String {
        let prefix = health.more ? "at least " : ""
        return "\(prefix)\(health.delivered) delivered, \(prefix)\(health.failed) failed, \(health.pending) pending"
    }

    private static func lastFailure(_ health: WebhookHealth) -> String? {
        guard let failure = health.lastFailure else { return nil }
        let status = failure.responseStatus.map { "HTTP \($0)" } ?? "no answer"
        return "last failure \(HumanText.escape(failure.at ?? "?")): \(status), \(HumanText.escape(failure.event ?? "?"))"
    }

    private var groups: [(WebhookScope, String?, [WebhookHealth])] {
        var order: [WebhookScope] = []
        var byScope: [WebhookScope: [WebhookHealth]] = [:]
        for health in webhooks {
            if byScope[health.scope] == nil { order.append(health.scope) }
            byScope[health.scope, default: []].append(health)
        }
        return order.map { ($0, byScope[$0]!.first?.scopeName, byScope[$0]!) }
    }

    public func text() -> String {
        var out: [String] = []
        for (scope, name, items) in groups {
            out.append(HumanText.escape(scope.title) + (name.map { " (\(HumanText.escape($0)))" } ?? ""))
            for health in items {
                out.append("  \(health.state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(HumanText.escape(health.url))"
                           + (health.webhookID.map { " [id \($0)]" } ?? ""))
                if health.state != .missing { out.append("           \(Self.counts(health))") }
                if let failure = Self.lastFailure(health) { out.append("           \(failure)") }
                if let note = health.note { out.append("           \(note)") }
            }
            out.append("")
        }
        out.append(summaryLine)
        return out.joined(separator: "\n") + "\n"
    }

    public func markdown() -> String {
        var out = ["### kapsoctl status", "", "**\(summaryLine)**", ""]
        for (scope, name, items) in groups {
            out.append("#### " + MarkdownRenderer.html(scope.title + (name.map { " (\($0))" } ?? "")))
            out.append("")
            out.append("| state | webhook | delivered | failed | pending | last failure |")
            out.append("|---|---|---|---|---|---|")
            for health in items {
                let mark = health.state.isUnhealthy ? "❌" : (health.state == .idle ? "💤" : "✅")
                let more = health.more ? "≥ " : ""
                let failure = Self.lastFailure(health).map { MarkdownRenderer.code($0) } ?? ""
                out.append("| \(mark) \(health.state.rawValue) | \(MarkdownRenderer.code(health.url)) | \(more)\(health.delivered) | \(more)\(health.failed) | \(health.pending) | \(failure) |")
            }
            out.append("")
            for health in items {
                if let note = health.note, health.state.isUnhealthy { out.append("- \(MarkdownRenderer.code(health.url)): \(MarkdownRenderer.html(note))") }
            }
            if items.contains(where: { $0.state.isUnhealthy && $0.note != nil }) { out.append("") }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// One annotation per unhealthy webhook, at its declaration, then the summary as a notice
    /// (a warning when something is unhealthy).
    public func annotations() -> [String] {
        var out: [String] = []
        for health in webhooks where health.state.isUnhealthy {
            let message = "\(health.url) is \(health.state.rawValue): " + ([health.state == .missing ? nil : Self.counts(health), Self.lastFailure(health), health.note]
                .compactMap { $0 }.joined(separator: "; "))
            out.append(WorkflowCommands.annotation(.error, message, file: health.location.file, line: health.location.line,
                                                   column: health.location.column, title: "kapsoctl status"))
        }
        out.append(WorkflowCommands.annotation(unhealthy > 0 ? .warning : .notice, summaryLine, title: "kapsoctl status"))
        return out
    }

    public func json() -> String {
        let items: [JSONValue] = webhooks.map { health in
            var object: [String: JSONValue] = [
                "url": .string(health.url), "webhook_id": health.webhookID.map(JSONValue.string) ?? .null,
                "state": .string(health.state.rawValue), "delivered": .int(health.delivered), "failed": .int(health.failed),
                "pending": .int(health.pending), "counts_are_lower_bounds": .bool(health.more), "requests": .int(health.requests),
                "note": health.note.map(JSONValue.string) ?? .null,
                "last_failure": health.lastFailure.map { failure in
                    .object(["at": failure.at.map(JSONValue.string) ?? .null,
                             "response_status": failure.responseStatus.map(JSONValue.int) ?? .null,
                             "event": failure.event.map(JSONValue.string) ?? .null])
                } ?? .null,
            ]
            object["scope"] = JSONValue.string(health.scope.api == .legacy ? "config" : "phone_number")
            object.merge(JSONRenderer.scopeKeys(health.scope)) { _, new in new }
            return .object(object)
        }
        let document = JSONValue.object([
            "kind": .string("kapsoctl-status"), "format_version": .int(Self.jsonFormatVersion), "period": .string(period.rawValue),
            "webhooks": .array(items),
            "summary": .object(["healthy": .int(webhooks.filter { !$0.state.isUnhealthy }.count), "unhealthy": .int(unhealthy),
                                "requests": .int(requests)]),
            "exit_code": .int(Int(exitCode)),
        ])
        return String(decoding: document.pretty(), as: UTF8.self)
    }
}
