/// The one escaping rule for human output: text that comes from a spec, the environment or the
/// server never reaches a terminal raw. Every control character (C0 but tab and line feed, DEL,
/// C1) and every bidirectional-formatting character (which can make a terminal show text in an
/// order other than its bytes) is written as a visible `\u001B`-style escape.
public enum HumanText {
    /// JSON string quoting: escapes quotes, backslashes and every unsafe character.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isUnsafe(scalar):
                out += "\\u" + hex(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `text` with every unsafe character escaped; line feeds kept only when `keepNewlines`.
    public static func escape(_ text: String, keepNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isUnsafe($0, keepNewlines: keepNewlines) }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar, keepNewlines: keepNewlines) {
                out += "\\u" + hex(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Like `escape(_:keepNewlines: true)`, but SGR colour sequences (`ESC [ digits ; ... m`) pass:
    /// the text renderer's own colour, on a terminal.
    public static func escapeKeepingColour(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = ""
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            if scalar == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "[" {
                var j = i + 2
                while j < scalars.count, ("0"..."9").contains(scalars[j]) || scalars[j] == ";" { j += 1 }
                if j < scalars.count, scalars[j] == "m" {
                    out.unicodeScalars.append(contentsOf: scalars[i...j])
                    i = j + 1
                    continue
                }
            }
            if isUnsafe(scalar, keepNewlines: true) {
                out += "\\u" + hex(scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
            i += 1
        }
        return out
    }

    /// True for characters that must not reach a terminal raw.
    public static func isUnsafe(_ scalar: Unicode.Scalar, keepNewlines: Bool = false) -> Bool {
        switch scalar.value {
        case 0x0A: !keepNewlines
        case 0x09: false
        case 0x00..<0x20, 0x7F...0x9F: true
        // Bidirectional formatting: LRM/RLM/ALM, LRE..RLO, LRI..PDI.
        case 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
