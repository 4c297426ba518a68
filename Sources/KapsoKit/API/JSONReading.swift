import Foundation

/// A type read from a server's answer, after ``JSONValue/parse(_:)``: nil when the value is not
/// the documented shape. Every answer kapsoctl reads goes through this one mechanism (see
/// ``KapsoClient/decode(_:_:_:_:)``); each type says, field by field, what it requires.
protocol JSONReadable {
    init?(json: JSONValue)
}

extension Dictionary where Key == String, Value == JSONValue {
    /// A field that may be absent or null: `.some(nil)` then; `.some(value)` when `read` takes it;
    /// nil (not the documented shape) when it is there as something `read` refuses.
    func optional<T>(_ key: String, _ read: (JSONValue) -> T?) -> T?? {
        guard let value = self[key], value != .null else { return .some(nil) }
        guard let read = read(value) else { return nil }
        return .some(read)
    }
}

/// A list: an array whose every item is readable.
extension Array: JSONReadable where Element: JSONReadable {
    init?(json: JSONValue) {
        guard case .array(let items) = json else { return nil }
        var read: [Element] = []
        read.reserveCapacity(items.count)
        for item in items {
            guard let element = Element(json: item) else { return nil }
            read.append(element)
        }
        self = read
    }
}

/// `{"data": ...}`, the wrapper of every response.
struct DataEnvelope<Value: JSONReadable>: JSONReadable {
    var data: Value

    init?(json: JSONValue) {
        guard let value = json.object?["data"].flatMap(Value.init(json:)) else { return nil }
        data = value
    }
}

/// `{"data": [...], "meta": {...}}`, a page of a list (`meta` absent in the Platform API, which
/// says it in headers).
struct PageEnvelope<Value: JSONReadable>: JSONReadable {
    var data: [Value]
    var meta: PageMeta?

    init?(json: JSONValue) {
        guard let fields = json.object, let data = fields["data"].flatMap([Value].init(json:)),
              let meta = fields.optional("meta", PageMeta.init(json:)) else { return nil }
        self.data = data
        self.meta = meta
    }
}

/// `{"error": "..."}` or `{"error", "status", "message"}`: both shapes are accepted.
struct ErrorBody: JSONReadable {
    var error: String?
    var message: String?

    init?(json: JSONValue) {
        guard let fields = json.object, let error = fields.optional("error", \.string),
              let message = fields.optional("message", \.string) else { return nil }
        self.error = error
        self.message = message
    }
}
