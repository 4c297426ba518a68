import Foundation

/// Any JSON value, decoded without guessing: `true` stays a boolean and `1` a number.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Tried in the order that throws least for what servers send (a failed try throws, and a
    /// thrown error costs): strings first, then the scalars, then collections. `JSONDecoder` is
    /// strict, so no value reads as another type (Int before Double, which would take 5).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        case .object(let v): try container.encode(v)
        }
    }

    /// Compact JSON with sorted keys (deterministic bytes for journals and golden files): the bytes
    /// `JSONEncoder` writes with `.sortedKeys` and `.withoutEscapingSlashes`, written directly (the
    /// encoder's generic containers were half of the simulator's time serving a page of webhooks).
    /// A document holding a number JSON cannot write (NaN, infinity) is `null`, as the encoder
    /// refuses it.
    public func serialized() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        guard write(into: &out) else { return Data("null".utf8) }
        return Data(out)
    }

    /// Appends the compact JSON of this value; false for a number JSON cannot write.
    private func write(into out: inout [UInt8]) -> Bool {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .double(let value):
            // Rare in what kapsoctl writes: the encoder's own text for it.
            let encoder = JSONEncoder()
            guard value.isFinite, let text = try? encoder.encode([value]) else { return false }
            out.append(contentsOf: text.dropFirst().dropLast())
        case .string(let value): Self.write(value, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                guard item.write(into: &out) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            // Sorted by UTF-8 bytes, as the encoder sorts (not by String's canonical order, which
            // puts a decomposed "é" elsewhere). The dictionary's positions are sorted (plain
            // numbers to move, where its pairs would be retained and released at every move), so
            // no key is hashed again.
            let keys = object.keys
            let order = object.indices.sorted { Self.precedes(keys[$0], keys[$1]) }
            for (index, position) in order.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                let member = object[position]
                Self.write(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                guard member.value.write(into: &out) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        }
        return true
    }

    /// Byte-wise order of two strings' UTF-8.
    private static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let order = x.isEmpty || y.isEmpty ? 0 : memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
    }

    /// A JSON string as the encoder escapes it: the quote, the backslash and the C0 controls
    /// (`\b \t \n \f \r` by name, the others as `\u00xx`); everything else as its UTF-8.
    private static func write(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            out.append(UInt8(ascii: "\""))
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                out.append(contentsOf: utf8)
                out.append(UInt8(ascii: "\""))
                return
            }
            let hex = Array("0123456789abcdef".utf8)
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0..<0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

extension JSONValue {
    /// Indented JSON with sorted keys and a final newline: deterministic, and readable in a review.
    public func pretty() -> Data {
        var out = ""
        write(into: &out, indent: 0)
        // JSONEncoder escapes C0 characters only; DEL, C1 and bidirectional controls are escaped
        // too (valid JSON), so no document reaches a terminal with them raw.
        return Data((HumanText.escape(out, keepNewlines: true) + "\n").utf8)
    }

    private func write(into out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let object) where !object.isEmpty:
            out += "{\n"
            let keys = object.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += pad + String(decoding: JSONValue.string(key).serialized(), as: UTF8.self) + ": "
                object[key]!.write(into: &out, indent: indent + 1)
                out += index < keys.count - 1 ? ",\n" : "\n"
            }
            out += closing + "}"
        default:
            out += String(decoding: serialized(), as: UTF8.self)
        }
    }
}

/// Literals, for documents written in code (the JSON Schema).
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }

    /// The items of an array, or nil.
    public var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The text of a string, or nil.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// An integer, or nil.
    public var int: Int? {
        if case .int(let number) = self { return number }
        return nil
    }

    /// The members of an object, or nil.
    public var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
