/// Secrets masked in what a plan shows, before any renderer escapes it.
///
/// A renderer escapes for its format (HTML entities for markdown, `\"` and `\n` for JSON, `\u000A`
/// for a terminal); a secret holding `&`, a quote, a backslash or a line break no longer appears
/// as itself in escaped text, so masking the finished output cannot find it. Every value a plan
/// shows (scope names, URLs, field values, header names and values) is therefore masked here,
/// structurally, and renderers only ever see masked text. Request bodies are left whole: they are
/// sent, never shown.
extension Plan {
    public func masked(_ redactor: Redactor) -> Plan {
        guard !redactor.isEmpty else { return self }
        var plan = self
        for c in plan.configs.indices {
            plan.configs[c].name = plan.configs[c].name.map(redactor.redact)
            for w in plan.configs[c].changes.indices {
                plan.configs[c].changes[w] = plan.configs[c].changes[w].masked(redactor)
            }
        }
        return plan
    }
}

extension WebhookChange {
    func masked(_ redactor: Redactor) -> WebhookChange {
        var change = self
        change.displayURL = redactor.redact(displayURL)
        change.write?.displayURL = redactor.redact(displayURL)
        change.fields = fields.map { field in
            var field = field
            field.before = field.before.masked(redactor)
            field.after = field.after.masked(redactor)
            return field
        }
        return change
    }
}

extension FieldValue {
    func masked(_ redactor: Redactor) -> FieldValue {
        switch self {
        case .string(let text): .string(redactor.redact(text))
        case .list(let items): .list(items.map(redactor.redact))
        case .map(let map): .map(Dictionary(map.map { (redactor.redact($0.key), redactor.redact($0.value)) }) { first, _ in first })
        case .null, .bool, .int: self
        }
    }
}
