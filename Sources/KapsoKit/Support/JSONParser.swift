import Foundation

/// Why bytes are not JSON: what is wrong, and where (1-based line and column, the column counted
/// in bytes).
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    public var description: String { "\(message) at line \(line), column \(column)" }
}

extension JSONValue {
    /// The deepest nesting read, `JSONDecoder`'s: a deeper document is refused, not recursed into.
    public static let maximumDepth = 512

    /// Parses JSON bytes (RFC 8259), straight from the bytes: this is how every server answer,
    /// request body and seed file is read (`JSONDecoder`'s generic containers were 40 % of a plan's
    /// CPU reading 900 webhooks). What it gives is what `JSONDecoder` gives for ``JSONValue``
    /// (a number without a fraction reads as `.int`, and so does one whose value is a whole number
    /// that fits, `1.0` or `1e2`; a UTF-8 byte order mark is skipped), with three refusals where
    /// `JSONDecoder` guesses: a comma before a closing bracket, a key twice in one object (which of
    /// the two would the server mean?), a number too large for a double.
    public static func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self))
            do throws(JSONParseError) {
                return .success(try parser.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// A recursive-descent parser over a byte buffer.
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(JSONParseError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        let value = try value()
        skipSpace()
        guard index == bytes.count else { throw failure("more text after the JSON value") }
        return value
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func value() throws(JSONParseError) -> JSONValue {
        skipSpace()
        guard index < bytes.count else { throw failure("the text ends where a value should be") }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "t"): try word("true"); return .bool(true)
        case UInt8(ascii: "f"): try word("false"); return .bool(false)
        case UInt8(ascii: "n"): try word("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("a value cannot start here")
        }
    }

    private mutating func word(_ text: StaticString) throws(JSONParseError) {
        let count = text.utf8CodeUnitCount
        guard bytes.count - index >= count, memcmp(bytes.baseAddress! + index, text.utf8Start, count) == 0 else {
            throw failure("a value cannot start here")
        }
        index += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= JSONValue.maximumDepth else { throw failure("nested more than \(JSONValue.maximumDepth) levels deep") }
        index += 1
    }

    /// The members of the objects being read, innermost last: each object is made at its
    /// closing brace with room for exactly its members (no growing, and no room to spare that a
    /// document of many small objects would multiply).
    private var members: [(key: String, value: JSONValue, at: Int)] = []

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        guard !closes(UInt8(ascii: "}")) else { return .object([:]) }
        let first = members.count
        repeat {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
            let keyStart = index
            let key = try string()
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a key") }
            index += 1
            members.append((key, try value(), keyStart))
        } while try !endOfMember(UInt8(ascii: "}"), in: "an object")
        var object = [String: JSONValue](minimumCapacity: members.count - first)
        for member in members[first...] {
            guard object.updateValue(member.value, forKey: member.key) == nil else {
                throw failure("a key appears twice in one object", at: member.at)
            }
        }
        members.removeSubrange(first...)
        return .object(object)
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        var items: [JSONValue] = []
        guard !closes(UInt8(ascii: "]")) else { return .array(items) }
        repeat {
            items.append(try value())
        } while try !endOfMember(UInt8(ascii: "]"), in: "an array")
        return .array(items)
    }

    /// Leaves an object or array at its closing bracket (`bracket`, after any space), when that is
    /// what comes next.
    private mutating func closes(_ bracket: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == bracket else { return false }
        index += 1
        depth -= 1
        return true
    }

    /// After a member of an object or an item of an array: true at the closing `bracket` (left),
    /// false after a comma; anything else is refused.
    private mutating func endOfMember(_ bracket: UInt8, in container: String) throws(JSONParseError) -> Bool {
        skipSpace()
        guard index < bytes.count else { throw failure("the text ends inside \(container)") }
        if bytes[index] == UInt8(ascii: ",") {
            index += 1
            return false
        }
        guard closes(bracket) else { throw failure("expected ',' or '\(Character(Unicode.Scalar(bracket)))' in \(container)") }
        return true
    }

    /// A string, its opening quote at `index`. Without escapes it is made from the bytes in place.
    private mutating func string() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var high: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try Self.text(UnsafeBufferPointer(rebasing: bytes[start..<index]), ascii: high < 0x80, at: start, self)
                index += 1
                return text
            case UInt8(ascii: "\\"): return try escapedString(from: start)
            case 0..<0x20: throw failure("a control character inside a string")
            default:
                high |= byte
                index += 1
            }
        }
        throw failure("a string is not closed", at: start - 1)
    }

    /// The string of UTF-8 bytes, refused when they are not valid UTF-8: decoding repairs what is
    /// invalid, so valid bytes are exactly those that decode to themselves.
    private static func text(_ utf8: UnsafeBufferPointer<UInt8>, ascii: Bool, at start: Int, _ parser: JSONParser) throws(JSONParseError) -> String {
        let text = String(decoding: utf8, as: UTF8.self)
        guard ascii || text.utf8.elementsEqual(utf8) else { throw parser.failure("a string is not valid UTF-8", at: start) }
        return text
    }

    /// The rest of a string from its first backslash, at `index`; `start` is its first byte.
    private mutating func escapedString(from start: Int) throws(JSONParseError) -> String {
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try out.withUnsafeBufferPointer { (utf8) throws(JSONParseError) in try Self.text(utf8, ascii: false, at: start, self) }
                index += 1
                return text
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw failure("a string is not closed", at: start - 1) }
                index += 2
                switch bytes[index - 1] {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): out.append(contentsOf: Unicode.UTF8.encode(try escapedScalar())!)
                default: throw failure("an unknown escape in a string", at: index - 2)
                }
            case 0..<0x20: throw failure("a control character inside a string")
            default:
                out.append(byte)
                index += 1
            }
        }
        throw failure("a string is not closed", at: start - 1)
    }

    /// The scalar of `\uXXXX` (its four digits at `index`), with the low half of a surrogate pair
    /// when it is the high half; a lone half is refused, as it is no character.
    private mutating func escapedScalar() throws(JSONParseError) -> Unicode.Scalar {
        let escape = index - 2
        let first = try hexQuad()
        if (0xD800..<0xDC00).contains(first) {
            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw failure("half of a surrogate pair in a string", at: escape)
            }
            index += 2
            let second = try hexQuad()
            guard (0xDC00..<0xE000).contains(second) else { throw failure("half of a surrogate pair in a string", at: escape) }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(first) else { throw failure("half of a surrogate pair in a string", at: escape) }
        return scalar
    }

    private mutating func hexQuad() throws(JSONParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw failure("\\u needs four hexadecimal digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("\\u needs four hexadecimal digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A number as `JSONDecoder` reads one into ``JSONValue``: `.int` when it is a whole number
    /// that fits (whatever its spelling), `.double` otherwise.
    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("a number needs a digit after '-'") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        var whole = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            whole = false
            index += 1
            try digits("a number needs a digit after '.'")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            whole = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            try digits("a number needs a digit in its exponent")
        }
        if whole, let value = integer(start + (negative ? 1 : 0), negative: negative) { return .int(value) }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)), value.isFinite else {
            throw failure("a number too large to read", at: start)
        }
        if let exact = Int(exactly: value) { return .int(exact) }
        return .double(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private mutating func digits(_ message: String) throws(JSONParseError) {
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure(message) }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    /// The digits from `from` to `index` as an Int, nil when they overflow (read as a double).
    private func integer(_ from: Int, negative: Bool) -> Int? {
        var value = 0
        for position in from..<index {
            let digit = Int(bytes[position] - UInt8(ascii: "0"))
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflow || overflow2 { return nil }
            value = next
        }
        return value
    }

    private func failure(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for position in 0..<offset where bytes[position] == 0x0A {
            line += 1
            lineStart = position + 1
        }
        return JSONParseError(message: message, line: line, column: offset - lineStart + 1)
    }
}
