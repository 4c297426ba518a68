import Foundation

/// `--format json`: a versioned, deterministic document. Secret values are omitted; the values of
/// sensitive headers are replaced by `"(sensitive)"`.
public enum JSONRenderer {
    public static let formatVersion = 1

    public static func render(_ plan: Plan) -> String {
        let summary = plan.summary
        let document = JSONValue.object([
            "format_version": .int(formatVersion),
            "summary": .object([
                "create": .int(summary.create), "update": .int(summary.update), "delete": .int(summary.delete),
                "unchanged": .int(summary.unchanged), "unmanaged": .int(summary.unmanaged),
            ]),
            "changes": .array(plan.changes.map(change)),
        ])
        return String(decoding: document.pretty(), as: UTF8.self)
    }

    private static func change(_ change: WebhookChange) -> JSONValue {
        .object([
            "action": .string(change.action.rawValue),
            "config_id": .string(change.configID),
            "webhook_id": change.webhookID.map(JSONValue.string) ?? .null,
            "url": .string(change.displayURL),
            "fields": .array(change.fields.map(field)),
            "unverifiable": .array(change.unverifiable.map(JSONValue.string)),
        ])
    }

    private static func field(_ field: FieldChange) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(field.name), "sensitive": .bool(field.sensitive)]
        if !field.sensitive {
            object["before"] = masked(field.before, field.sensitiveHeaders)
            object["after"] = masked(field.after, field.sensitiveHeaders)
        }
        return .object(object)
    }

    private static func masked(_ value: FieldValue, _ sensitive: Set<String>) -> JSONValue {
        guard case .map(let map) = value else { return value.json }
        return .object(Dictionary(uniqueKeysWithValues: map.map { name, text in
            (name, .string(sensitive.contains(name.lowercased()) ? "(sensitive)" : text))
        }))
    }
}
