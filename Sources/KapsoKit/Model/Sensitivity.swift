import Foundation

/// Which values are secrets, so that no output, log, error or plan file ever shows them.
public enum Sensitivity {
    /// Name fragments that make a header's value sensitive (compared case-insensitively).
    static let sensitiveNameFragments = [
        "authorization", "auth", "token", "secret", "key", "signature", "password", "passwd", "cookie", "credential",
    ]

    /// True when a header with this name carries a credential (e.g. `Authorization`, `X-Api-Key`).
    public static func isSensitiveHeaderName(_ name: String) -> Bool {
        // Byte search: this runs for every header of every webhook, and Foundation's
        // `String.contains` dominated spec loading in profiles.
        let lower = Array(name.lowercased().utf8)
        return fragmentBytes.contains { fragment in
            guard fragment.count <= lower.count else { return false }
            return (0...(lower.count - fragment.count)).contains { start in
                lower[start..<(start + fragment.count)].elementsEqual(fragment)
            }
        }
    }

    private static let fragmentBytes: [[UInt8]] = sensitiveNameFragments.map { Array($0.utf8) }

    /// A source line as it may be shown in a diagnostic: after any key whose name looks like a
    /// credential (`secret_key:`, `Authorization:` ...), the rest of the line is replaced.
    /// Secrets normally come from `${VAR}`, but a literal one must not be echoed either.
    static func redactSourceLine(_ line: String) -> String {
        let chars = Array(line)
        var index = 0
        while index < chars.count {
            // Find the end of a run of key characters followed by ':'.
            guard isKeyCharacter(chars[index]) else { index += 1; continue }
            let start = index
            while index < chars.count, isKeyCharacter(chars[index]) { index += 1 }
            var colon = index
            if colon < chars.count, chars[colon] == "\"" || chars[colon] == "'" { colon += 1 }
            guard colon < chars.count, chars[colon] == ":" else { continue }
            let name = String(chars[start..<index])
            if isSensitiveHeaderName(name) {
                let rest = String(chars[(colon + 1)...])
                if !isOnlyReferences(rest) {
                    return String(chars[...colon]) + " <redacted>"
                }
            }
        }
        return line
    }

    /// True when a value holds nothing but `${VAR}` references (and quoting, an auth scheme word,
    /// a comment): safe to show, and more helpful than a mask.
    private static func isOnlyReferences(_ value: String) -> Bool {
        var text = value
        if let hash = text.range(of: " #") { text = String(text[..<hash.lowerBound]) }
        while let start = text.range(of: "${"), let end = text[start.upperBound...].firstIndex(of: "}") {
            text.removeSubrange(start.lowerBound...end)
        }
        for word in ["bearer", "basic", "token"] {
            text = text.replacingOccurrences(of: word, with: "", options: .caseInsensitive)
        }
        return text.allSatisfy { $0.isWhitespace || "\"'{},".contains($0) }
    }

    private static func isKeyCharacter(_ c: Character) -> Bool {
        c.isLetter || c.isNumber || c == "_" || c == "-"
    }
}
