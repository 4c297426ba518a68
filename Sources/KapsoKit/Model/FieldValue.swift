/// The value of a webhook attribute: in a spec, on the wire, in a plan.
public enum FieldValue: Sendable, Equatable, Hashable {
    case null
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([String])
    case map([String: String])

    /// The value as JSON, for request bodies, `--format json` and plan files.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .list(let items): .array(items.map(JSONValue.string))
        case .map(let map): .object(map.mapValues(JSONValue.string))
        }
    }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var int: Int? { if case .int(let i) = self { i } else { nil } }
    public var list: [String]? { if case .list(let items) = self { items } else { nil } }
    public var map: [String: String]? { if case .map(let map) = self { map } else { nil } }
}

/// Literals, so that tests and tables can write values plainly: `"https://…"`, `true`, `5`,
/// `["whatsapp.message.sent"]`, `["X-Team": "blue"]`.
extension FieldValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(arrayLiteral elements: String...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, String)...) {
        self = .map(Dictionary(elements) { first, _ in first })
    }
}

extension FieldValue {
    /// The value as one line of text for people (strings JSON-quoted, so no control character
    /// reaches a terminal).
    var shown: String {
        switch self {
        case .null: "null"
        case .string(let s): HumanText.quoted(s)
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .list(let items): "[" + items.map { HumanText.escape($0) }.joined(separator: ", ") + "]"
        case .map(let map): "{" + map.sorted { $0.key < $1.key }.map { "\(HumanText.escape($0.key)): \(HumanText.quoted($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
