import Foundation

/// The spec's rules on the text of single values (ids, URLs, header names and values) and how
/// messages quote what a spec wrote.
enum SpecText {
    static let yaml11Booleans: Set<String> = ["yes", "no", "y", "n", "on", "off", "true", "false"]

    /// Every known event name, for matching a scalar without making a string.
    static let eventTable = ByteTable(EventNames.all)

    static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
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

    /// Why `url` is not acceptable, or nil. Never echoes the URL (it may hold a token).
    static func urlProblem(_ url: String) -> String? {
        if plainHTTPSURL(url) { return nil }
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

    /// `https://host/path` of at most 2048 bytes with nothing the full check could refuse:
    /// lowercase-or-digit host labels, no port, userinfo, space or control character, no `%`.
    /// (Most URLs are: they skip building `URLComponents`.)
    static func plainHTTPSURL(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { bytes in
            let scheme: StaticString = "https://"
            guard bytes.count > 8, bytes.count <= 2048, memcmp(bytes.baseAddress!, scheme.utf8Start, 8) == 0 else { return false }
            var index = 8
            while index < bytes.count, bytes[index] != UInt8(ascii: "/") {
                let byte = bytes[index]
                guard (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else { return false }
                index += 1
            }
            guard index > 8 else { return false }
            return plainPathByte.withUnsafeBufferPointer { table in
                bytes[index...].allSatisfy { table[Int($0)] }
            }
        }
    }

    /// Letters, digits and `/-._~`: path bytes no URL check refuses.
    private static let plainPathByte: [Bool] = (0..<256).map { (byte: Int) -> Bool in
        let b = UInt8(byte)
        if b >= 97 && b <= 122 { return true }
        if b >= 65 && b <= 90 { return true }
        if b >= 48 && b <= 57 { return true }
        return "/-._~".utf8.contains(b)
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
