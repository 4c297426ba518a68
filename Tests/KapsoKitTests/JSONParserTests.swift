import Foundation
import Testing
@testable import KapsoKit
import KapsoSimulator

/// `JSONValue.parse` reads what `JSONDecoder` reads into ``JSONValue`` (the reference: the same
/// value for every document both accept), refuses what RFC 8259 refuses, and the three documents
/// `JSONDecoder` guesses at.
@Suite struct JSONParserTests {
    private static func reference(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    private static func parsed(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONValue.parse(Data(bytes))
    }

    private static let pieces: [String] = ["a", "é", "😀", "\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\u0000",
                                           "\\u001f", "\\u00e9", "\\u20AC", "\\ud83d\\ude00", "\\uDBFF\\uDFFF", "\u{7F}", "\u{2028}",
                                           "e\u{301}", " ", "x"]
    private static let numbers: [String] = ["0", "-0", "1", "-1", "1.0", "1.5", "-2.25", "1e2", "1E+2", "1e-2", "0.1e1", "100e-2",
                                            "2.5e-1", "123456789", "-987654321012", "9223372036854775807", "-9223372036854775808",
                                            "9223372036854775808", "12345678901234567890", "1e18", "1e19", "-1e18", "1e-400",
                                            "1.7976931348623157e308", "5e-324", "0.000001", "3.14159", "6.02e23"]

    /// A random document as text, with random white space between its tokens, and unique keys.
    private static func document(_ random: inout SeededGenerator, depth: Int) -> String {
        func space() -> String { ["", "", " ", "\n", "\t", "\r\n  "].randomElement(using: &random)! }
        func string() -> String { "\"" + (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined() + "\"" }
        switch Int.random(in: 0..<(depth > 4 ? 5 : 7), using: &random) {
        case 0: return ["null", "true", "false"].randomElement(using: &random)!
        case 1, 2: return numbers.randomElement(using: &random)!
        case 3, 4: return string()
        case 5:
            let items = (0..<Int.random(in: 0...4, using: &random)).map { _ in space() + document(&random, depth: depth + 1) + space() }
            return "[" + items.joined(separator: ",") + "]"
        default:
            var keys: Set<String> = []
            var members: [String] = []
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let key = string()
                // Two spellings of one key ("\u00e9" and "é") are one key: kept once.
                guard let decoded = reference(Array(key.utf8)), case .string(let name) = decoded, keys.insert(name).inserted else { continue }
                members.append(space() + key + space() + ":" + space() + document(&random, depth: depth + 1) + space())
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    @Test func readsWhatJSONDecoderReads() throws {
        var random = SeededGenerator(seed: 2026)
        for _ in 0..<2500 {
            let text = Array(Self.document(&random, depth: 0).utf8)
            let expected = try #require(Self.reference(text), "JSONDecoder refused \(String(decoding: text, as: UTF8.self))")
            let value = Self.parsed(text)
            guard value == expected else {
                Issue.record("\(String(decoding: text, as: UTF8.self)): \(String(describing: value)) != \(expected)")
                return
            }
        }
    }

    /// Bytes changed at random in valid documents: whatever the parser accepts, `JSONDecoder`
    /// accepts as the same value; nothing crashes or hangs.
    @Test func mutatedDocumentsAgreeWhenAccepted() throws {
        var random = SeededGenerator(seed: 88)
        let alphabet = Array("{}[],:\"\\-+.eE0123456789 \nabtrunflsu".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE9, 0xED, 0xFF]
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = Array(Self.document(&random, depth: 0).utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0...bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0 where at < bytes.count: bytes[at] = alphabet.randomElement(using: &random)!
                case 1 where at < bytes.count: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                }
            }
            guard let value = Self.parsed(bytes) else { continue }
            accepted += 1
            guard value == Self.reference(bytes) else {
                Issue.record("\(bytes): \(value) != \(String(describing: Self.reference(bytes)))")
                return
            }
        }
        #expect(accepted > 150, "the mutations should leave some documents valid: \(accepted)")
    }

    @Test(arguments: [
        ("1.0", JSONValue.int(1)), ("1e2", .int(100)), ("-0", .int(0)), ("-0.0", .int(0)), ("1.5", .double(1.5)),
        ("12345678901234567890", .double(1.2345678901234567e19)), ("-9223372036854775808", .int(.min)),
        ("9223372036854775808", .double(9223372036854775808)), ("1e-400", .int(0)),
        ("\"\\ud83d\\ude00\"", .string("😀")), ("\"\u{7F}\"", .string("\u{7F}")), ("\"\\u0000\"", .string("\u{0}")),
        (" [ 1 , {\"a\" : null} ] ", .array([.int(1), .object(["a": .null])])), ("\u{FEFF}1", .int(1)),
    ])
    func readsEdgeCasesAsJSONDecoderDoes(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONValue.parse(Data(text.utf8)) == expected)
        #expect(Self.reference(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        // Refused by both.
        ("01", "more text after the JSON value", 1, 2), ("-", "a number needs a digit after '-'", 1, 2),
        ("1.", "a number needs a digit after '.'", 1, 3), ("1e", "a number needs a digit in its exponent", 1, 3),
        ("\"\\ud800\"", "half of a surrogate pair in a string", 1, 2), ("\"\\udc00\\ud800\"", "half of a surrogate pair in a string", 1, 2),
        ("\"a\u{1}\"", "a control character inside a string", 1, 3), ("[1 2]", "expected ',' or ']' in an array", 1, 4),
        ("nul", "a value cannot start here", 1, 1), ("true x", "more text after the JSON value", 1, 6),
        ("1e400", "a number too large to read", 1, 1), ("", "the text ends where a value should be", 1, 1),
        ("{\"a\":\n  \"b", "a string is not closed", 2, 3), ("\"\\x\"", "an unknown escape in a string", 1, 2),
        ("\"\\u12\"", "\\u needs four hexadecimal digits", 1, 4), ("\"\\", "a string is not closed", 1, 1),
        ("{\"a\": 1 \"b\": 2}", "expected ',' or '}' in an object", 1, 9), ("{\"a\": 1", "the text ends inside an object", 1, 8),
        ("[1", "the text ends inside an array", 1, 3), ("[[], {}", "the text ends inside an array", 1, 8),
        // Refused here, where JSONDecoder guesses.
        ("[1,]", "a value cannot start here", 1, 4), ("{\"a\":1,}", "expected a key in quotes", 1, 8),
        ("{\"a\": 1,\n \"a\": 2}", "a key appears twice in one object", 2, 2),
        ("{\"\\u00e9\": 1, \"é\": 2}", "a key appears twice in one object", 1, 15),
    ])
    func refusesWithWhereAndWhy(_ text: String, _ message: String, _ line: Int, _ column: Int) {
        #expect(throws: JSONParseError(message: message, line: line, column: column)) { try JSONValue.parse(Data(text.utf8)) }
    }

    @Test(arguments: [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0x5C, 0x6E, 0xC3, 0x22]] as [[UInt8]])
    func refusesInvalidUTF8(_ bytes: [UInt8]) {
        #expect(Self.parsed(bytes) == nil)
        #expect(Self.reference(bytes) == nil)
    }

    /// 512 levels are read (JSONDecoder's limit), on a task's smaller stack too; 513 and a
    /// hostile 100,000 are refused, not recursed into.
    @Test func nestingIsBounded() async throws {
        func nested(_ depth: Int) -> Data { Data((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        let deepest = try await Task.detached { try JSONValue.parse(nested(512)) }.value
        var level = deepest
        var depth = 0
        while case .array(let items) = level, let first = items.first { level = first; depth += 1 }
        #expect(depth == 511 && level == .array([]))
        #expect(throws: JSONParseError(message: "nested more than 512 levels deep", line: 1, column: 513)) { try JSONValue.parse(nested(513)) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data(String(repeating: "{\"a\":", count: 100_000).utf8)) }
    }
}
