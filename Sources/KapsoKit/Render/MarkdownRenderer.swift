/// `--format markdown`: a pull-request comment. The summary table comes first, then per config a
/// collapsed section (`<details>`, open when the plan is small) with the changed webhooks and a
/// table of their fields. The comment fits GitHub's limit (65,536 characters): past `budget` UTF-8
/// bytes (never fewer than characters) the remaining webhooks are left out whole, with their counts
/// and a pointer to the full plan, so no table is ever cut in half.
public enum MarkdownRenderer {
    /// The size a pull-request comment is kept under, with room for a workflow's own lines.
    public static let commentBudget = 60_000
    /// Plans showing at most this many webhooks have their sections open.
    public static let openSectionsUpTo = 10

    /// `fullPlan`: where a reader finds what a truncated comment leaves out (markdown).
    public static func render(_ plan: Plan, budget: Int = commentBudget, fullPlan: String = "run `kapsoctl plan`") -> String {
        let s = plan.summary
        let header = [
            "### kapsoctl plan",
            "",
            plan.api == .platform ? "| create | update | delete | replace | unchanged | unmanaged |" : "| create | update | delete | unchanged | unmanaged |",
            plan.api == .platform ? "|---:|---:|---:|---:|---:|---:|" : "|---:|---:|---:|---:|---:|",
            plan.api == .platform ? "| \(s.create) | \(s.update) | \(s.delete) | \(s.replace) | \(s.unchanged) | \(s.unmanaged) |"
                : "| \(s.create) | \(s.update) | \(s.delete) | \(s.unchanged) | \(s.unmanaged) |",
            "",
            s.hasChanges ? "**\(s.line)**" : "**No changes.** \(s.line)",
        ].joined(separator: "\n") + "\n"
        let sections = plan.configs.map { config in
            (config, config.changes.filter { $0.action != .unchanged || !$0.unverifiable.isEmpty })
        }.filter { !$0.1.isEmpty }
        let open = sections.reduce(0) { $0 + $1.1.count } <= openSectionsUpTo
        // Room kept for the truncation note.
        let reserve = 600
        var out = header
        var size = header.utf8.count
        var left: [WebhookChange] = []
        var leftConfigs = 0
        for (config, shown) in sections {
            let opening = "\n<details\(open ? " open" : "")><summary>\(summary(config, shown))</summary>\n"
            let closing = "\n</details>\n"
            var blocks: [String] = []
            var sectionSize = opening.utf8.count + closing.utf8.count
            for (index, change) in shown.enumerated() {
                let block = "\n" + lines(for: change).joined(separator: "\n") + "\n"
                guard left.isEmpty, size + sectionSize + block.utf8.count + reserve <= budget else {
                    left += shown[index...]
                    leftConfigs += 1
                    break
                }
                blocks.append(block)
                sectionSize += block.utf8.count
            }
            if !blocks.isEmpty {
                out += opening + blocks.joined() + closing
                size += sectionSize
            }
        }
        if !left.isEmpty {
            let counts = PlanSummary(left).nonZero
            out += "\n**Truncated:** \(left.count) more webhook\(left.count == 1 ? "" : "s") (\(counts)) in \(leftConfigs) "
                + "\(leftConfigs == 1 ? "section is" : "sections are") not shown, to keep this under \(budget) characters. "
                + "The summary above counts everything. The full plan: \(fullPlan).\n"
        }
        return out
    }

    /// A section's title: the scope, its name and its counts, in HTML (a summary is not markdown).
    private static func summary(_ config: ConfigPlan, _ shown: [WebhookChange]) -> String {
        let scope = switch config.scope {
        case .config(let id): "Config <code>\(html(id))</code>"
        case .phoneNumber(let id): "Phone number <code>\(html(id))</code>"
        case .project: "Project"
        }
        let name = config.name.map { " — \(html($0))" } ?? ""
        return "<b>\(scope)</b>\(name): \(PlanSummary(config.changes.filter { $0.action != .unchanged }).nonZero)"
    }

    private static func lines(for change: WebhookChange) -> [String] {
        let id = change.webhookID.map { " (\(code($0)))" } ?? ""
        let url = code(change.displayURL)
        var out: [String]
        switch change.action {
        case .create: out = ["- ➕ **create** \(url)"]
        case .update: out = ["- ✏️ **update** \(url)\(id)"]
        case .delete: out = ["- ❌ **delete** \(url)\(id)"]
        case .replace: out = ["- 🔁 **replace** \(url)\(id): the new one created, then this one deleted"]
        case .unmanaged: out = ["- ❔ **unmanaged** \(url)\(id): not declared; kept (drift: added outside git?)"]
        case .ignored: out = ["- ⏭️ **ignored** \(url)\(id): matches `ignore:`; another system owns it"]
        case .unchanged: out = ["- **unchanged** \(url)\(id)"]
        }
        if !change.fields.isEmpty {
            out += ["", "  | field | before | after |", "  |---|---|---|"]
            for field in change.fields {
                out.append("  | \(field.name) | " + cells(field, creating: change.action == .create) + " |")
            }
            if !change.unverifiable.isEmpty { out.append("") }
        }
        for name in change.unverifiable {
            out.append("  - ⚠️ `\(name)` cannot be verified (the server does not reveal it); `--rotate-secrets` sends it")
        }
        return out
    }

    private static func cells(_ field: FieldChange, creating: Bool) -> String {
        switch FieldDisplay(field, creating: creating) {
        case .replaced(let before, let after):
            return (creating ? "" : code(before)) + " | " + code(after) + (creating ? "" : field.note.map { " — \($0)" } ?? "")
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
    static func code(_ text: String) -> String {
        "`" + HumanText.escape(text).replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "`", with: "'") + "`"
    }

    /// Text inside HTML: no tag, no entity, no control character.
    static func html(_ text: String) -> String {
        var out = ""
        for character in HumanText.escape(text) {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
