import Foundation

/// The human plan: one block per config with something to report, one line per changed webhook,
/// one line per changed field, then the count of quiet configs and the summary line. Colour only when asked (the CLI asks on a terminal without `NO_COLOR`).
public struct TextRenderer: Sendable {
    public var color: Bool

    public init(color: Bool = false) {
        self.color = color
    }

    public func render(_ plan: Plan) -> String {
        var out: [String] = []
        // A config with nothing to report gets no block: at hundreds of numbers, the changes must
        // not drown in "no changes" lines. The count of such configs comes before the summary.
        var quiet = 0
        for config in plan.configs {
            guard config.changes.contains(where: { $0.action != .unchanged || !$0.unverifiable.isEmpty }) else {
                quiet += 1
                continue
            }
            out.append(bold(HumanText.escape(config.scope.title) + (config.name.map { " (\(HumanText.escape($0)))" } ?? "")))
            for change in config.changes where change.action != .unchanged {
                out += lines(for: change)
            }
            for change in config.changes where !change.unverifiable.isEmpty {
                out.append(paint("  ! ", 35) + "\(url(change))\(idSuffix(change)): "
                           + "\(change.unverifiable.joined(separator: ", ")) cannot be verified (the server does not reveal it); "
                           + "pass --rotate-secrets to send it")
            }
            let unchanged = config.changes.filter { $0.action == .unchanged }.count
            if unchanged > 0 { out.append("  \(unchanged) unchanged") }
            out.append("")
        }
        if quiet == plan.configs.count {
            out += ["No changes.", ""]
        } else if quiet > 0 {
            let noun = plan.api == .legacy ? "config" : "scope"
            out += ["No changes in \(quiet) other \(noun)\(quiet == 1 ? "" : "s").", ""]
        }
        out.append(bold(plan.summary.line))
        return out.joined(separator: "\n") + "\n"
    }

    private func lines(for change: WebhookChange) -> [String] {
        switch change.action {
        case .create:
            return [paint("  + ", 32) + url(change)] + change.fields.flatMap { fieldLines($0, creating: true) }
        case .update:
            return [paint("  ~ ", 33) + url(change) + idSuffix(change)] + change.fields.flatMap { fieldLines($0, creating: false) }
        case .delete:
            return [paint("  - ", 31) + url(change) + idSuffix(change)]
        case .replace:
            return [paint("  -/+ ", 33) + url(change) + idSuffix(change) + " (replaced: the new one created, then this one deleted; "
                    + (change.fields.contains { $0.name == "phone_number_id" } ? "a webhook cannot move to another number" : "its kind cannot change")
                    + ")"] + change.fields.flatMap { fieldLines($0, creating: false) }
        case .unmanaged:
            return [paint("  ? ", 36) + url(change) + idSuffix(change)
                    + " unmanaged: not declared; kept (set 'prune: true' or pass --prune to delete it, or list it under 'ignore:' if another system owns it)"]
        case .ignored:
            return [paint("  · ", 90) + url(change) + idSuffix(change) + " ignored: matches 'ignore:'; another system owns it"]
        case .unchanged:
            return []
        }
    }

    private func url(_ change: WebhookChange) -> String {
        HumanText.escape(change.displayURL)
    }

    private func idSuffix(_ change: WebhookChange) -> String {
        change.webhookID.map { " [id \(HumanText.escape($0))]" } ?? ""
    }

    private func fieldLines(_ field: FieldChange, creating: Bool) -> [String] {
        let indent = "      "
        switch FieldDisplay(field, creating: creating) {
        case .replaced(let before, let after):
            let note = creating ? "" : field.note.map { "  (\($0))" } ?? ""
            return [creating ? "\(indent)\(field.name): \(after)" : "\(indent)\(field.name): \(before) → \(after)\(note)"]
        case .sensitive(let text):
            return ["\(indent)\(field.name): \(text)"]
        case .set(let added, let removed):
            return ["\(indent)\(field.name):"]
                + added.map { "\(indent)  " + paint("+ ", 32) + $0 }
                + removed.map { "\(indent)  " + paint("- ", 31) + $0 }
        case .map(let entries):
            if entries.isEmpty { return ["\(indent)\(field.name): {}"] }
            return ["\(indent)\(field.name):"] + entries.map { line in
                switch line {
                case .added(let name, let value): "\(indent)  " + paint("+ ", 32) + "\(name): \(value)"
                case .removed(let name, let value): "\(indent)  " + paint("- ", 31) + "\(name): \(value)"
                case .changed(let name, let before, let after):
                    after.isEmpty ? "\(indent)  " + paint("~ ", 33) + "\(name): \(before)"
                        : "\(indent)  " + paint("~ ", 33) + "\(name): \(before) → \(after)"
                }
            }
        }
    }

    private func paint(_ text: String, _ code: Int) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func bold(_ text: String) -> String {
        color ? "\u{1B}[1m\(text)\u{1B}[0m" : text
    }
}
