import Foundation
import KapsoKit

/// A webhook as the simulator stores it: every attribute present, as the legacy API returns it.
struct WebhookRecord: Sendable, Equatable {
    var id: String
    var url: String
    var secretKey: String
    var events: [String]
    var active = true
    /// `nil` is JSON `null` (a PATCH may set it); created webhooks start with `{}`.
    var headers: [String: String]? = [:]
    var bufferEnabled = false
    var bufferWindowSeconds = 5
    var maxBufferSize = 50
    var bufferEvents = [EventNames.bufferable]
    var inactivityMinutes = 60
    var createdAt: String
    var updatedAt: String

    var json: JSONValue {
        .object([
            "id": .string(id),
            "url": .string(url),
            "secret_key": .string(secretKey),
            "events": .array(events.map(JSONValue.string)),
            "active": .bool(active),
            "headers": headers.map { .object($0.mapValues(JSONValue.string)) } ?? .null,
            "buffer_enabled": .bool(bufferEnabled),
            "buffer_window_seconds": .int(bufferWindowSeconds),
            "max_buffer_size": .int(maxBufferSize),
            "buffer_events": .array(bufferEvents.map(JSONValue.string)),
            "inactivity_minutes": .int(inactivityMinutes),
            "created_at": .string(createdAt),
            "updated_at": .string(updatedAt),
        ])
    }

    /// A new webhook from a create body: `url`, `secret_key` and `events` are required, every
    /// other attribute takes the documented default. Returns the 422 message on failure.
    static func create(from fields: [String: JSONValue], id: String, now: String) -> Result<WebhookRecord, ValidationFailure> {
        for required in ["url", "secret_key", "events"] where fields[required] == nil || fields[required] == .null {
            return .failure(ValidationFailure("\(required) is required"))
        }
        var record = WebhookRecord(id: id, url: "", secretKey: "", events: [], createdAt: now, updatedAt: now)
        if let failure = record.apply(fields) { return .failure(failure) }
        return .success(record)
    }

    /// Applies the attributes present in `fields` (a partial update); unknown and read-only keys
    /// are ignored, as Rails' strong parameters do. Nothing changes when any attribute is invalid.
    mutating func apply(_ fields: [String: JSONValue]) -> ValidationFailure? {
        var copy = self
        for (key, value) in fields {
            if let failure = copy.set(key, value) { return failure }
        }
        self = copy
        return nil
    }

    private mutating func set(_ key: String, _ value: JSONValue) -> ValidationFailure? {
        switch key {
        case "url":
            guard case .string(let text) = value else { return ValidationFailure("url must be a string") }
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                  ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, !text.contains(" ") else {
                return ValidationFailure("url must be a valid http(s) URL")
            }
            url = text
        case "secret_key":
            guard case .string(let text) = value else { return ValidationFailure("secret_key must be a string") }
            guard !text.isEmpty else { return ValidationFailure("secret_key can't be blank") }
            secretKey = text
        case "events":
            guard case .array(let items) = value, let names = Self.strings(items) else {
                return ValidationFailure("events must be an array of strings")
            }
            guard !names.isEmpty else { return ValidationFailure("events can't be empty") }
            if let unknown = names.first(where: { !EventNames.configScope.contains($0) }) {
                return ValidationFailure("events contains an unknown event: \(unknown)")
            }
            events = names
        case "buffer_events":
            guard case .array(let items) = value, let names = Self.strings(items) else {
                return ValidationFailure("buffer_events must be an array of strings")
            }
            if let other = names.first(where: { $0 != EventNames.bufferable }) {
                return ValidationFailure("buffer_events contains an event that cannot be buffered: \(other) (only \(EventNames.bufferable))")
            }
            bufferEvents = names
        case "active":
            guard case .bool(let flag) = value else { return ValidationFailure("active must be a boolean") }
            active = flag
        case "buffer_enabled":
            guard case .bool(let flag) = value else { return ValidationFailure("buffer_enabled must be a boolean") }
            bufferEnabled = flag
        case "headers":
            switch value {
            case .null: headers = nil
            case .object(let object):
                var map: [String: String] = [:]
                for (name, item) in object {
                    guard case .string(let text) = item else { return ValidationFailure("headers must map names to strings") }
                    map[name] = text
                }
                headers = map
            default: return ValidationFailure("headers must be an object or null")
            }
        case "buffer_window_seconds":
            return setInteger(value, key, 1...60) { $0.bufferWindowSeconds = $1 }
        case "max_buffer_size":
            return setInteger(value, key, 1...100) { $0.maxBufferSize = $1 }
        case "inactivity_minutes":
            return setInteger(value, key, 1...1440) { $0.inactivityMinutes = $1 }
        default:
            break
        }
        return nil
    }

    private mutating func setInteger(_ value: JSONValue, _ key: String, _ range: ClosedRange<Int>,
                                     _ assign: (inout WebhookRecord, Int) -> Void) -> ValidationFailure? {
        guard case .int(let number) = value else { return ValidationFailure("\(key) must be an integer") }
        guard range.contains(number) else {
            return ValidationFailure("\(key) must be between \(range.lowerBound) and \(range.upperBound)")
        }
        assign(&self, number)
        return nil
    }

    private static func strings(_ items: [JSONValue]) -> [String]? {
        var out: [String] = []
        for item in items {
            guard case .string(let text) = item else { return nil }
            out.append(text)
        }
        return out
    }
}

/// Why a body was refused with 422.
struct ValidationFailure: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
