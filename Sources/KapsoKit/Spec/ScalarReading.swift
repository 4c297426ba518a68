import Foundation

/// A decoded value and where it was written.
struct Located<Value> {
    var value: Value
    var mark: Mark
}

/// A string read from the spec, `${VAR}` expanded.
struct SpecString {
    var value: String
    var mark: Mark
    /// The scalar as written, `${VAR}` references unexpanded.
    var template: String
    /// True when the value comes (in part) from the environment: it is then a secret.
    var fromEnvironment: Bool
    /// True when an unset variable was kept as written (`validate` without secrets): checks of
    /// the value's content are skipped, as the value is not known.
    var unresolved: Bool
}

/// Typed reading of YAML nodes, reporting every problem into the decoder's diagnostics.
/// Each reader returns nil after reporting, so decoding carries on and all errors of a file are found.
extension SpecFileDecoder {
    mutating func mapping(_ node: YAMLNode, _ what: String) -> YAMLMapping? {
        if case .mapping(let m) = node { return m }
        error(node.mark, "\(what) must be a mapping, not \(node.kindDescription)")
        return nil
    }

    mutating func sequence(_ node: YAMLNode, _ what: String) -> YAMLSequence? {
        if case .sequence(let s) = node { return s }
        error(node.mark, "\(what) must be a list, not \(node.kindDescription)")
        return nil
    }

    /// A string, with `${VAR}` expanded from the environment. When unset variables are allowed
    /// (`validate` without secrets), one that is unset is kept as written and noted once per name.
    mutating func string(_ node: YAMLNode, _ what: String) -> SpecString? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            error(node.mark, "\(what) must be a string, not \(node.kindDescription)")
            return nil
        }
        do {
            let result = try Interpolation.expand(scalar.text, variables: variables, allowUnset: unsetVariables == .note)
            secretValues.formUnion(result.values)
            for (name, offset) in result.unset {
                unsetReferences.append((name, Self.mark(ofOffset: offset, in: scalar)))
            }
            return SpecString(value: result.text, mark: scalar.mark, template: scalar.text,
                              fromEnvironment: result.usedVariables, unresolved: !result.unset.isEmpty)
        } catch let failure {
            error(Self.mark(ofOffset: failure.offset, in: scalar), failure.message)
            return nil
        }
    }

    /// A plain `true` or `false`; YAML 1.1 spellings (`yes`, `on` ...) are refused by name.
    mutating func bool(_ node: YAMLNode, _ what: String) -> Located<Bool>? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            error(node.mark, "\(what) must be true or false, not \(node.kindDescription)")
            return nil
        }
        if scalar.style == .plain && !scalar.forcedString {
            switch scalar.text {
            case "true": return Located(value: true, mark: scalar.mark)
            case "false": return Located(value: false, mark: scalar.mark)
            case let text where Self.yaml11Booleans.contains(text.lowercased()):
                error(scalar.mark, "\(what) must be true or false; '\(text)' is not accepted as a boolean (write true or false)")
                return nil
            default: break
            }
            error(scalar.mark, "\(what) must be true or false, not '\(Self.excerpt(scalar.text))'")
        } else {
            error(scalar.mark, "\(what) must be true or false, not a quoted string")
        }
        return nil
    }

    /// A plain decimal integer within `range`.
    mutating func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Located<Int>? {
        let expected = "an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            error(node.mark, "\(what) must be \(expected), not \(node.kindDescription)")
            return nil
        }
        guard scalar.style == .plain && !scalar.forcedString else {
            error(scalar.mark, "\(what) must be \(expected), not a quoted string")
            return nil
        }
        let digits = scalar.text.hasPrefix("-") || scalar.text.hasPrefix("+") ? scalar.text.dropFirst() : Substring(scalar.text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let value = Int(scalar.text) else {
            error(scalar.mark, "\(what) must be \(expected), not '\(Self.excerpt(scalar.text))'")
            return nil
        }
        guard range.contains(value) else {
            error(scalar.mark, "\(what) must be \(expected); \(value) is out of range")
            return nil
        }
        return Located(value: value, mark: scalar.mark)
    }

    /// A UUID, lowercased unless `keepCase`.
    mutating func uuid(_ node: YAMLNode, _ what: String, keepCase: Bool = false) -> Located<String>? {
        guard let text = string(node, what) else { return nil }
        guard Self.isUUID(text.value) else {
            error(text.mark, "\(what) must be a UUID like 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d")
            return nil
        }
        return Located(value: keepCase ? text.value : text.value.lowercased(), mark: text.mark)
    }

    /// Meta's id of a phone number: digits, plain or quoted.
    mutating func phoneNumberID(_ node: YAMLNode) -> Located<String>? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            error(node.mark, "'phone_number_id' must be Meta's id of the number (digits), not \(node.kindDescription)")
            return nil
        }
        guard let text = string(node, "'phone_number_id'") else { return nil }
        if text.unresolved { return Located(value: text.value, mark: text.mark) }
        guard !text.value.isEmpty, text.value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.value.utf8.count <= 32 else {
            error(text.mark, "'phone_number_id' must be Meta's id of the number: digits only, like \"1234567890\" (not the display number)")
            return nil
        }
        return Located(value: text.value, mark: text.mark)
    }

    static let yaml11Booleans: Set<String> = ["yes", "no", "y", "n", "on", "off", "true", "false"]

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                if b != UInt8(ascii: "-") { return false }
            } else if !(b >= 48 && b <= 57) && !(b >= 97 && b <= 102) && !(b >= 65 && b <= 70) {
                return false
            }
        }
        return true
    }

    /// Up to 40 characters of a value, for messages about non-secret scalars.
    /// Control characters (line feeds among them) are escaped: quoted spec text never starts a
    /// line of its own in a message.
    static func excerpt(_ text: String) -> String {
        HumanText.escape(text.count > 40 ? String(text.prefix(40)) + "…" : text)
    }

    /// The position of a character offset inside a scalar, exact for single-line plain and quoted
    /// scalars; the scalar's start otherwise.
    static func mark(ofOffset offset: Int, in scalar: YAMLScalar) -> Mark {
        guard scalar.mark.line == scalar.endMark.line else { return scalar.mark }
        switch scalar.style {
        case .plain: return Mark(line: scalar.mark.line, column: scalar.mark.column + offset)
        case .singleQuoted where !scalar.text.contains("'"), .doubleQuoted where !scalar.text.contains("\\") && !scalar.text.contains("\""):
            return Mark(line: scalar.mark.line, column: scalar.mark.column + 1 + offset)
        default: return scalar.mark
        }
    }

    /// Why `url` is not acceptable, or nil. Never echoes the URL (it may hold a token).
    static func urlProblem(_ url: String) -> String? {
        if url.utf8.count > 2048 { return "'url' is longer than 2048 bytes" }
        let asciiOnly = url.utf8.allSatisfy { $0 < 0x80 }
        if url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) || (!asciiOnly && url.contains(where: \.isWhitespace)) {
            return "'url' must not contain spaces, line breaks or control characters"
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            return "'url' is not a valid absolute URL; expected https://host/path"
        }
        guard let host = components.host, !host.isEmpty else { return "'url' has no host; expected https://host/path" }
        switch scheme {
        case "https": return nil
        case "http":
            return LoopbackHost.contains(host) ? nil : "'url' must use https; plain http is allowed only for localhost and loopback addresses"
        default:
            return "'url' must use https, not '\(excerpt(scheme))'"
        }
    }

    /// True when `text` holds a control character other than tab: C0 (CR and LF among them, which
    /// Swift's `Character` sees as one "\r\n" — so this looks at scalars), DEL or C1. Such a
    /// character in a header value would put text of the spec's choosing on the wire as a line
    /// of its own.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { ($0.value < 0x20 && $0.value != 0x09) || (0x7F...0x9F).contains($0.value) }
    }

    /// RFC 9110 token characters, the only ones allowed in a header name.
    static func isHeaderToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }
}
