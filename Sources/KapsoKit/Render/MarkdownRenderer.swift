/// `--format markdown`: a pull-request comment. The summary table comes first, then per config
/// the changed webhooks with a table of their fields.
public enum MarkdownRenderer {
    public static func render(_ plan: Plan) -> String {
        let s = plan.summary
        var out = [
            "### kapsoctl plan",
            "",
            plan.api == .platform ? "| create | update | delete | replace | unchanged | unmanaged |" : "| create | update | delete | unchanged | unmanaged |",
            plan.api == .platform ? "|---:|---:|---:|---:|---:|---:|" : "|---:|---:|---:|---:|---:|",
            plan.api == .platform ? "| \(s.create) | \(s.update) | \(s.delete) | \(s.replace) | \(s.unchanged) | \(s.unmanaged) |"
                : "| \(s.create) | \(s.update) | \(s.delete) | \(s.unchanged) | \(s.unmanaged) |",
            "",
            s.hasChanges ? "**\(s.line)**" : "**No changes.** \(s.line)",
        ]
        for config in plan.configs {
            let shown = config.changes.filter { $0.action != .unchanged || !$0.unverifiable.isEmpty }
            guard !shown.isEmpty else { continue }
            let heading = switch config.scope {
            case .config(let id): "Config \(code(id))"
            case .phoneNumber(let id): "Phone number \(code(id))"
            case .project: "Project"
            }
            out += ["", "#### \(heading)" + (config.name.map { " — \(escape($0))" } ?? ""), ""]
            for change in shown {
                out += lines(for: change)
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func lines(for change: WebhookChange) -> [String] {
        let id = change.webhookID.map { " (\(code($0)))" } ?? ""
        let url = code(change.displayURL)
        var out: [String]
        switch change.action {
        case .create: out = ["- ➕ **create** \(url)"]
        case .update: out = ["- ✏️ **update** \(url)\(id)"]
        case .delete: out = ["- ❌ **delete** \(url)\(id)"]
        case .replace: out = ["- 🔁 **replace** \(url)\(id): deleted, then created"]
        case .unmanaged: out = ["- ❔ **unmanaged** \(url)\(id): not declared; kept"]
        case .unchanged: out = ["- **unchanged** \(url)\(id)"]
        }
        if !change.fields.isEmpty {
            out += ["", "  | field | before | after |", "  |---|---|---|"]
            for field in change.fields {
                out.append("  | \(field.name) | " + cells(field, creating: change.action == .create) + " |")
            }
            out.append("")
        }
        for name in change.unverifiable {
            out.append("  - ⚠️ `\(name)` cannot be verified (the server does not reveal it); `--rotate-secrets` sends it")
        }
        return out
    }

    private static func cells(_ field: FieldChange, creating: Bool) -> String {
        switch FieldDisplay(field, creating: creating) {
        case .replaced(let before, let after):
            return (creating ? "" : code(before)) + " | " + code(after)
        case .sensitive(let text):
            return " | " + text
        case .set(let added, let removed):
            return removed.map { code("− \($0)") }.joined(separator: "<br>") + " | "
                + added.map { code("+ \($0)") }.joined(separator: "<br>")
        case .map(let entries):
            let parts = entries.map { line -> String in
                switch line {
                case .added(let name, let value): "+ \(name): \(value)"
                case .removed(let name, let value): "− \(name): \(value)"
                case .changed(let name, let before, let after): after.isEmpty ? "~ \(name): \(before)" : "~ \(name): \(before) → \(after)"
                }
            }
            return " | " + (parts.isEmpty ? "`{}`" : parts.map(code).joined(separator: "<br>"))
        }
    }

    /// A code span that cannot break the table: backticks and pipes are replaced, control
    /// characters escaped.
    private static func code(_ text: String) -> String {
        "`" + HumanText.escape(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'") + "`"
    }

    /// Text outside code spans: no table break, no HTML, no markdown emphasis or links.
    private static func escape(_ text: String) -> String {
        var out = ""
        for character in HumanText.escape(text) {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "|", "*", "_", "`", "[", "]", "\\", "#", "~": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }
}
