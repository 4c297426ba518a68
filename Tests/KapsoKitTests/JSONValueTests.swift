import Foundation
import Testing
@testable import KapsoKit
import KapsoSimulator

/// `JSONValue.serialized()` writes what `JSONEncoder` (sorted keys, slashes unescaped) writes, byte
/// for byte: journals, golden files and request bodies depend on those bytes.
@Suite struct JSONValueTests {
    private static let alphabet: [String] = (0..<0x80).map { String(Character(Unicode.Scalar(UInt8($0)))) }
        + ["\u{7F}", "\u{80}", "\u{2028}", "\u{2029}", "é", "e\u{301}", "😀", "\u{FEFF}", "ß", "Ω", "\u{202E}"]

    private static func text(_ random: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
    }

    private static func value(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &random))
        case 3: return .double([1.5, 0.1, 1e21, 1e-7, 100, -0.0, 123456789.123, .leastNonzeroMagnitude].randomElement(using: &random)!)
        case 4: return .string(text(&random))
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) { object[text(&random)] = value(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    @Test func writesWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var random = SeededGenerator(seed: 7159)
        for _ in 0..<3000 {
            let value = Self.value(&random, depth: 0)
            let expected = try encoder.encode(value)
            let written = value.serialized()
            if written != expected {
                Issue.record("\(String(decoding: written, as: UTF8.self)) != \(String(decoding: expected, as: UTF8.self))")
                return
            }
        }
        // A number JSON cannot write makes the document null, as the encoder refuses it.
        #expect(JSONValue.array([.int(1), .double(.nan)]).serialized() == Data("null".utf8))
        #expect(JSONValue.object(["a": .double(.infinity)]).serialized() == Data("null".utf8))
    }
}
