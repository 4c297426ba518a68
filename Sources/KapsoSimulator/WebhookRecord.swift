import Foundation
import KapsoKit

/// A webhook as the simulator stores it: every attribute of the table present, as the legacy API
/// returns it, checked by each attribute's kind (``AttributeKind/check(_:name:)``).
struct WebhookRecord: Sendable, Equatable {
    var id: String
    /// By attribute name; every attribute of the table.
    var values: [String: FieldValue]
    var createdAt: String
    var updatedAt: String

    var url: String { values[Attribute.url.name]?.string ?? "" }
    var active: Bool { values[Attribute.active.name]?.bool ?? false }

    var json: JSONValue {
        var object = values.mapValues(\.json)
        object["id"] = .string(id)
        object["created_at"] = .string(createdAt)
        object["updated_at"] = .string(updatedAt)
        return .object(object)
    }

    /// A new webhook from a create body: the attributes the API requires must be there, every
    /// other takes the documented default. Returns the 422 message on failure.
    static func create(from fields: [String: JSONValue], id: String, now: String) -> Result<WebhookRecord, ValidationFailure> {
        for attribute in Attribute.all where attribute.requiredOnCreate && (fields[attribute.name] == nil || fields[attribute.name] == .null) {
            return .failure(ValidationFailure("\(attribute.name) is required"))
        }
        var defaults: [String: FieldValue] = [:]
        for attribute in Attribute.all { defaults[attribute.name] = attribute.serverDefault }
        var record = WebhookRecord(id: id, values: defaults, createdAt: now, updatedAt: now)
        if let failure = record.apply(fields) { return .failure(failure) }
        return .success(record)
    }

    /// Applies the attributes present in `fields` (a partial update); unknown and read-only keys
    /// are ignored, as Rails' strong parameters do. Nothing changes when any attribute is invalid.
    mutating func apply(_ fields: [String: JSONValue]) -> ValidationFailure? {
        var copy = self
        for attribute in Attribute.all {
            guard let json = fields[attribute.name] else { continue }
            switch attribute.kind.check(json, name: attribute.name) {
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
