/// What a saved plan shows (`kapsoctl show PLAN.json`): the plan as `plan` rendered it, stored
/// beside the writes. Only what the renderers read is kept — scopes, names, actions, ids, URLs as
/// shown, and each field's values — and no secret: a sensitive field's values are replaced by a
/// placeholder (a generated secret keeps its nulls, which is how renderers know it), and a
/// sensitive header's value by a placeholder that is the same before and after when the value did
/// not change, different when it did, which is all the renderers tell.
struct SavedPlanView: Codable {
    struct Config: Codable {
        var scope: WebhookScope
        var name: String?
        var changes: [Change]
    }

    struct Change: Codable {
        var action: ChangeAction
        var scope: WebhookScope
        var webhookID: String?
        var url: String
        var fields: [Field]
        var unverifiable: [String]

        enum CodingKeys: String, CodingKey {
            case action, scope, url, fields, unverifiable
            case webhookID = "webhook_id"
        }
    }

    struct Field: Codable {
        var name: String
        var before: JSONValue
        var after: JSONValue
        var sensitive: Bool
        var sensitiveHeaders: [String]
        var healthNote: String?

        enum CodingKeys: String, CodingKey {
            case name, before, after, sensitive
            case sensitiveHeaders = "sensitive_headers"
            case healthNote = "health_note"
        }
    }

    var api: APIGeneration
    var configs: [Config]

    static let hidden = "(sensitive)"
    static let hiddenChanged = "(sensitive, changed)"

    /// The view of a plan that has been masked (``Plan/masked(_:)``).
    init(_ plan: Plan) {
        api = plan.api
        configs = plan.configs.map { config in
            Config(scope: config.scope, name: config.name, changes: config.changes.map { change in
                Change(action: change.action, scope: change.scope, webhookID: change.webhookID, url: change.displayURL,
                       fields: change.fields.map(Self.stored), unverifiable: change.unverifiable)
            })
        }
    }

    private static func stored(_ field: FieldChange) -> Field {
        var before = field.before, after = field.after
        if field.sensitive {
            if before != .null { before = .string(hidden) }
            if after != .null { after = .string(hidden) }
        } else if !field.sensitiveHeaders.isEmpty, case .map(let new) = after {
            let old = before.map ?? [:]
            let oldByName = Dictionary(old.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
            after = .map(Dictionary(uniqueKeysWithValues: new.map { name, value in
                guard field.sensitiveHeaders.contains(name.lowercased()) else { return (name, value) }
                let same = oldByName[name.lowercased()] == value
                return (name, same ? hidden : hiddenChanged)
            }))
            if case .map = before {
                before = .map(Dictionary(uniqueKeysWithValues: old.map { name, value in
                    (name, field.sensitiveHeaders.contains(name.lowercased()) ? hidden : value)
                }))
            }
        }
        return Field(name: field.name, before: before.json, after: after.json, sensitive: field.sensitive,
                     sensitiveHeaders: field.sensitiveHeaders.sorted(), healthNote: field.healthNote)
    }

    /// The plan again, for the renderers (it carries no write: nothing in it can be sent).
    var plan: Plan {
        Plan(api: api, configs: configs.map { config in
            ConfigPlan(scope: config.scope, name: config.name, changes: config.changes.map { change in
                WebhookChange(action: change.action, scope: change.scope, webhookID: change.webhookID, displayURL: change.url,
                              fields: change.fields.map { field in
                                  var shown = FieldChange(name: field.name, before: FieldValue(field.before), after: FieldValue(field.after),
                                                          sensitive: field.sensitive, sensitiveHeaders: Set(field.sensitiveHeaders))
                                  shown.healthNote = field.healthNote
                                  return shown
                              },
                              unverifiable: change.unverifiable)
            })
        })
    }
}

extension FieldValue {
    /// A value from its JSON (the inverse of ``json``); anything else a plan file could hold reads
    /// as the closest value, never a failure: the view is for reading.
    init(_ json: JSONValue) {
        switch json {
        case .string(let text): self = .string(text)
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .array(let items): self = .list(items.map(Self.text))
        case .object(let object): self = .map(object.mapValues(Self.text))
        default: self = .null
        }
    }

    private static func text(_ json: JSONValue) -> String {
        if case .string(let text) = json { return text }
        return String(decoding: json.serialized(), as: UTF8.self)
    }
}
