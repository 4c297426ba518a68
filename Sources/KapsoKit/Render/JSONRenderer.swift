import Foundation

/// `--format json`: a versioned, deterministic document. Secret values are omitted; the values of
/// sensitive headers are replaced by `"(sensitive)"`, and a headers field lists the names added,
/// removed and changed, so a changed sensitive header is visible without its value. Each change
/// names its config's `config_name`. A legacy plan's changes name their `config_id`; a Platform
/// plan says `"api": "platform"`, counts replaces, and its changes name their `scope`
/// (`phone_number` or `project`) and `phone_number_id` (null for the project).
///
/// Format 2 added `config_name` and `header_names`; format 1 had neither.
public enum JSONRenderer {
    public static let formatVersion = 2

    public static func render(_ plan: Plan) -> String {
        let summary = plan.summary
        var counts: [String: JSONValue] = [
            "create": .int(summary.create), "update": .int(summary.update), "delete": .int(summary.delete),
            "unchanged": .int(summary.unchanged), "unmanaged": .int(summary.unmanaged), "ignored": .int(summary.ignored),
        ]
        var document: [String: JSONValue] = ["format_version": .int(formatVersion), "changes": .array(plan.configs.flatMap { config in config.changes.map { change($0, configName: config.name) } })]
        if plan.api == .platform {
            counts["replace"] = .int(summary.replace)
            document["api"] = .string(plan.api.rawValue)
        }
        document["summary"] = .object(counts)
        return String(decoding: JSONValue.object(document).pretty(), as: UTF8.self)
    }

    private static func change(_ change: WebhookChange, configName: String?) -> JSONValue {
        var object: [String: JSONValue] = [
            "action": .string(change.action.rawValue),
            "config_name": configName.map(JSONValue.string) ?? .null,
            "webhook_id": change.webhookID.map(JSONValue.string) ?? .null,
            "url": .string(change.displayURL),
            "fields": .array(change.fields.map(field)),
            "unverifiable": .array(change.unverifiable.map(JSONValue.string)),
        ]
        object.merge(scopeKeys(change.scope)) { $1 }
        return .object(object)
    }

    /// Where a change is: `config_id` (legacy), or `scope` and `phone_number_id` (Platform).
    static func scopeKeys(_ scope: WebhookScope) -> [String: JSONValue] {
        switch scope {
        case .config(let id): ["config_id": .string(id)]
        case .phoneNumber(let id): ["scope": .string("phone_number"), "phone_number_id": .string(id)]
        case .project: ["scope": .string("project"), "phone_number_id": .null]
        }
    }

    private static func field(_ field: FieldChange) -> JSONValue {
        var object: [String: JSONValue] = ["name": .string(field.name), "sensitive": .bool(field.sensitive)]
        if !field.sensitive {
            object["before"] = masked(field.before, field.sensitiveHeaders)
            object["after"] = masked(field.after, field.sensitiveHeaders)
        }
        if case .map(let after) = field.after {
            let before: [String: String] = if case .map(let map) = field.before { map } else { [:] }
            object["header_names"] = headerNames(before: before, after: after)
        }
        if let note = field.note { object["note"] = .string(note) }
        return .object(object)
    }

    /// The header names added, removed and changed (names compare case-insensitively; shown as the
    /// spec writes them), sorted, without values.
    private static func headerNames(before: [String: String], after: [String: String]) -> JSONValue {
        let old = Dictionary(before.map { ($0.key.lowercased(), $0) }) { first, _ in first }
        let new = Dictionary(after.map { ($0.key.lowercased(), $0) }) { first, _ in first }
        var added: [String] = [], removed: [String] = [], changed: [String] = []
        for name in Set(old.keys).union(new.keys).sorted() {
            switch (old[name], new[name]) {
            case (nil, let header?): added.append(header.key)
            case (let header?, nil): removed.append(header.key)
            case (let was?, let now?) where was.value != now.value: changed.append(now.key)
            default: break
            }
        }
        func list(_ names: [String]) -> JSONValue { .array(names.map(JSONValue.string)) }
        return .object(["added": list(added), "removed": list(removed), "changed": list(changed)])
    }

    private static func masked(_ value: FieldValue, _ sensitive: Set<String>) -> JSONValue {
        guard case .map(let map) = value else { return value.json }
        return .object(Dictionary(uniqueKeysWithValues: map.map { name, text in
            (name, .string(sensitive.contains(name.lowercased()) ? "(sensitive)" : text))
        }))
    }
}
