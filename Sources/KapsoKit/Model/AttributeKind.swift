import Foundation

/// What values an attribute takes. The kind decides how a value is read from the wire, checked as
/// the API checks a request (the simulator's rules), and compared when planning; the spec decoder
/// and the exporter switch over it too. A new kind is a new case here, and the compiler lists every
/// place that must handle it.
public enum AttributeKind: Sendable, Hashable {
    /// The webhook's endpoint: compared by ``URLIdentity``, shown by ``URLDisplay``.
    case url
    /// A secret string: compared, never shown; a server that hides it makes it unverifiable.
    case secret
    /// A set of event names; `buffered`: only the event that can be buffered, and only ones the
    /// webhook subscribes to.
    case events(buffered: Bool)
    case boolean
    case integer(ClosedRange<Int>)
    /// Extra delivery headers: names compared case-insensitively, `null` equals `{}`.
    case headers
    /// One of a few words.
    case choice([String])

    // MARK: - The wire

    /// A server's value, read leniently: a header value that is a number or boolean is read as its
    /// text; `null` or a value of another type counts as absent.
    public func read(_ json: JSONValue) -> FieldValue? {
        switch (self, json) {
        case (.url, .string(let s)), (.secret, .string(let s)), (.choice, .string(let s)): return .string(s)
        case (.boolean, .bool(let b)): return .bool(b)
        case (.integer, .int(let i)): return .int(i)
        case (.events, .array(let items)): return .list(items.compactMap { if case .string(let s) = $0 { s } else { nil } })
        case (.headers, .object(let object)):
            var map: [String: String] = [:]
            for (name, value) in object {
                switch value {
                case .string(let s): map[name] = s
                case .int(let i): map[name] = String(i)
                case .double(let d): map[name] = String(d)
                case .bool(let b): map[name] = String(b)
                case .null, .array, .object: continue
                }
            }
            return .map(map)
        default: return nil
        }
    }

    /// A request's value as the API checks it: the value to store, or the 422 message. `name` is
    /// the attribute's, for the message; `knownEvents` the event names the API accepts at all.
    public func check(_ json: JSONValue, name: String,
                      knownEvents: [String] = EventNames.configScope) -> Result<FieldValue, AttributeRejection> {
        func reject(_ message: String) -> Result<FieldValue, AttributeRejection> { .failure(AttributeRejection(message)) }
        switch self {
        case .url:
            guard case .string(let text) = json else { return reject("\(name) must be a string") }
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                  ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, !text.contains(" ") else {
                return reject("\(name) must be a valid http(s) URL")
            }
            return .success(.string(text))
        case .secret:
            guard case .string(let text) = json else { return reject("\(name) must be a string") }
            return text.isEmpty ? reject("\(name) can't be blank") : .success(.string(text))
        case .events(let buffered):
            guard case .array(let items) = json else { return reject("\(name) must be an array of strings") }
            var names: [String] = []
            for item in items {
                guard case .string(let text) = item else { return reject("\(name) must be an array of strings") }
                names.append(text)
            }
            if buffered {
                if let other = names.first(where: { $0 != EventNames.bufferable }) {
                    return reject("\(name) contains an event that cannot be buffered: \(other) (only \(EventNames.bufferable))")
                }
            } else {
                guard !names.isEmpty else { return reject("\(name) can't be empty") }
                // Kapso's own words: `Events contains unsupported events: "NAME"`.
                let unknown = names.filter { !knownEvents.contains($0) }
                if !unknown.isEmpty {
                    return reject("\(name.prefix(1).uppercased() + name.dropFirst()) contains unsupported events: \(unknown.map { "\"\($0)\"" }.joined(separator: ", "))")
                }
            }
            return .success(.list(names))
        case .boolean:
            guard case .bool(let flag) = json else { return reject("\(name) must be a boolean") }
            return .success(.bool(flag))
        case .integer(let range):
            guard case .int(let number) = json else { return reject("\(name) must be an integer") }
            guard range.contains(number) else { return reject("\(name) must be between \(range.lowerBound) and \(range.upperBound)") }
            return .success(.int(number))
        case .headers:
            switch json {
            case .null: return .success(.null)
            case .object(let object):
                var map: [String: String] = [:]
                for (header, item) in object {
                    guard case .string(let text) = item else { return reject("\(name) must map names to strings") }
                    map[header] = text
                }
                return .success(.map(map))
            default: return reject("\(name) must be an object or null")
            }
        case .choice(let words):
            guard case .string(let text) = json, words.contains(text) else {
                return reject("\(name) must be one of \(words.joined(separator: ", "))")
            }
            return .success(.string(text))
        }
    }

    // MARK: - Planning

    /// True when the server's value `have` already is `want`, by this kind's comparison.
    /// (Secrets are compared by the planner, which also knows when the server hides them.)
    func same(_ want: FieldValue, _ have: FieldValue?) -> Bool {
        // Equal values are the same by every kind's rule (and most compare equal: no sets made).
        if want == have { return true }
        return switch self {
        case .url: URLIdentity.same(want.string, have?.string)
        case .events: Set(want.list ?? []) == Set(have?.list ?? [])
        case .headers: Self.lowercasedKeys(want.map ?? [:]) == Self.lowercasedKeys(have?.map ?? [:])
        case .secret, .boolean, .integer, .choice: want == have
        }
    }

    private static func lowercasedKeys(_ map: [String: String]) -> [String: String] {
        Dictionary(map.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
    }
}

/// Why the API refuses a request's value (a 422's message).
public struct AttributeRejection: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
