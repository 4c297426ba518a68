import Foundation
import KapsoKit

/// A webhook as the simulator stores it: every attribute of the table present, checked by each
/// attribute's kind (``AttributeKind/check(_:name:knownEvents:)``), seen through either API:
///
/// - the legacy API shows the legacy attributes (no `kind`, no `payload_version`);
/// - the Platform API shows them all, with `phone_number_id` and `project_id`, and — while
///   buffering is off — `null` buffer window and size and `[]` buffer events, as its example does.
///
/// So a webhook created through one generation looks through the other as it would have been
/// created there with the API's defaults (`kind: kapso`, `payload_version: v2`): an assumption,
/// documented in the README.
struct WebhookRecord: Sendable, Equatable {
    var id: String
    /// By attribute name; every attribute of the table.
    var values: [String: FieldValue]
    var createdAt: String
    var updatedAt: String
    /// Order of creation across the whole store: the Platform project list is newest first.
    var serial: Int

    var url: String { values[Attribute.url.name]?.string ?? "" }
    var active: Bool { values[Attribute.active.name]?.bool ?? false }
    var kind: String { values[Attribute.kind.name]?.string ?? "kapso" }
    var events: [String] { values[Attribute.events.name]?.list ?? [] }

    /// The legacy API's view.
    var json: JSONValue {
        var object: [String: JSONValue] = [:]
        for attribute in Attribute.table(for: .legacy) { object[attribute.name] = values[attribute.name]?.json ?? .null }
        object["id"] = .string(id)
        object["created_at"] = .string(createdAt)
        object["updated_at"] = .string(updatedAt)
        return .object(object)
    }

    /// The Platform API's view.
    func platformJSON(phoneNumberID: String?) -> JSONValue {
        var object = values.mapValues(\.json)
        if values[Attribute.bufferEnabled.name]?.bool != true {
            object[Attribute.bufferWindowSeconds.name] = .null
            object[Attribute.maxBufferSize.name] = .null
            object[Attribute.bufferEvents.name] = .array([])
        }
        if kind == "meta" { object[Attribute.payloadVersion.name] = .null }
        object["id"] = .string(id)
        object["phone_number_id"] = phoneNumberID.map(JSONValue.string) ?? .null
        object["project_id"] = .string(SimulatorStore.projectID)
        object["created_at"] = .string(createdAt)
        object["updated_at"] = .string(updatedAt)
        return .object(object)
    }

    /// A new webhook from a create body: `required` must be there, every other attribute takes the
    /// documented default. Only the attributes of `api`'s table are read. Returns the 422 message.
    static func create(from fields: [String: JSONValue], id: String, now: String, serial: Int, api: APIGeneration = .legacy,
                       required: [Attribute] = Attribute.all.filter(\.requiredOnCreate),
                       newEvents: [String]) -> Result<WebhookRecord, ValidationFailure> {
        for attribute in required where fields[attribute.name] == nil || fields[attribute.name] == .null {
            return .failure(ValidationFailure("\(attribute.name) is required"))
        }
        var defaults: [String: FieldValue] = [:]
        for attribute in Attribute.all { defaults[attribute.name] = attribute.serverDefault ?? .null }
        var record = WebhookRecord(id: id, values: defaults, createdAt: now, updatedAt: now, serial: serial)
        if let failure = record.apply(fields, api: api, newEvents: newEvents) { return .failure(failure) }
        return .success(record)
    }

    /// What the Platform v1 request schemas mark `[type, "null"]` (secret_key in the update and the
    /// project create; a create's null secret is generated like an absent one).
    static let nullableOnPlatform: AttributeSet = [.bufferWindowSeconds, .maxBufferSize, .inactivityMinutes, .headers, .payloadVersion, .secretKey]

    /// Applies the attributes present in `fields` (a partial update); unknown and read-only keys
    /// are ignored, as Rails' strong parameters do. Nothing changes when any attribute is invalid.
    /// `newEvents`: event names the server accepts beyond the documented ones.
    mutating func apply(_ fields: [String: JSONValue], api: APIGeneration = .legacy, newEvents: [String]) -> ValidationFailure? {
        var copy = self
        let known = (api == .legacy ? EventNames.configScope : EventNames.all) + newEvents
        for attribute in Attribute.table(for: api) {
            guard let json = fields[attribute.name] else { continue }
            // The Platform request schema lets these be null: stored as null (unset).
            if api == .platform, json == .null, Self.nullableOnPlatform.contains(attribute) {
                copy.values[attribute.name] = .null
                continue
            }
            switch attribute.kind.check(json, name: attribute.name, knownEvents: known) {
            case .success(let value): copy.values[attribute.name] = value
            case .failure(let rejection): return ValidationFailure(rejection.message)
            }
        }
        self = copy
        return nil
    }
}

/// Why a body was refused with 422.
struct ValidationFailure: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
