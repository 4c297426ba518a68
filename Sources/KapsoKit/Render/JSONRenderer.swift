import Foundation

/// `--format json`: a versioned, deterministic document. Secret values are omitted; the values of
/// sensitive headers are replaced by `"(sensitive)"`. A legacy plan's changes name their
/// `config_id`; a Platform plan says `"api": "platform"`, counts replaces, and its changes name
/// their `scope` (`phone_number` or `project`) and `phone_number_id` (null for the project).
public enum JSONRenderer {
    public static let formatVersion = 1

    public static func render(_ plan: Plan) -> String {
        let summary = plan.summary
        var counts: [String: JSONValue] = [
            "create": .int(summary.create), "update": .int(summary.update), "delete": .int(summary.delete),
            "unchanged": .int(summary.unchanged), "unmanaged": .int(summary.unmanaged),
        ]
        var document: [String: JSONValue] = ["format_version": .int(formatVersion), "changes": .array(plan.changes.map(change))]
        if plan.api == .platform {
            counts["replace"] = .int(summary.replace)
            document["api"] = .string(plan.api.rawValue)
        }
        document["summary"] = .object(counts)
        return String(decoding: JSONValue.object(document).pretty(), as: UTF8.self)
    }

    private static func change(_ change: WebhookChange) -> JSONValue {
        var object: [String: JSONValue] = [
            "action": .string(change.action.rawValue),
            "webhook_id": change.webhookID.map(JSONValue.string) ?? .null,
            "url": .string(change.displayURL),
            "fields": .array(change.fields.map(field)),
            "unverifiable": .array(change.unverifiable.map(JSONValue.string)),
        ]
        switch change.scope {
        case .config(let id): object["config_id"] = .string(id)
        case .phoneNumber(let id):
            object["scope"] = .string("phone_number")
            object["phone_number_id"] = .string(id)
        case .project:
            object["scope"] = .string("project")
            object["phone_number_id"] = .null
        }
        return .object(object)
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
