import Foundation

/// The form in which webhook URLs are compared: scheme and host lowercased, the default port
/// dropped, a trailing slash on the path dropped, percent-encodings' hex digits uppercased. A server
/// that normalises what it stores (`HTTPS://Hooks.Example.com:443/a` saved as
/// `https://hooks.example.com/a/`) must not make a declared webhook look missing: that would
/// create a duplicate on every apply. Otherwise path, query and fragment are compared exactly.
public enum URLIdentity {
    public static func normalized(_ url: String) -> String {
        isAlreadyNormal(url) ? url : parsedNormal(url)
    }

    /// The normal form by a full parse: the slow path, which the fast one must agree with.
    static func parsedNormal(_ url: String) -> String {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return url }
        components.scheme = scheme
        if let host = components.host { components.host = host.lowercased() }
        if (scheme == "https" && components.port == 443) || (scheme == "http" && components.port == 80) {
            components.port = nil
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path
        return uppercasingPercentHex(components.string ?? url)
    }

    /// `%2f` → `%2F` (RFC 3986: the two are equivalent; servers differ in which they store).
    private static func uppercasingPercentHex(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes = Array(text.utf8)
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                for j in (i + 1)...(i + 2) where bytes[j] >= UInt8(ascii: "a") && bytes[j] <= UInt8(ascii: "f") { bytes[j] -= 32 }
                i += 3
            } else {
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The common case without parsing: a lowercase scheme and authority with no port (every
    /// webhook of a large spec goes through here).
    private static func isAlreadyNormal(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { bytes in
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 2 < bytes.count,
                  bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { return false }
            for byte in bytes[..<colon] where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { return false }
            var pathStart = bytes.count
            for index in (colon + 3)..<bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                    pathStart = index
                    break
                }
                if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "@") || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) {
                    return false
                }
            }
            // A percent sign (its hex may be lowercase) or a path ending in a slash take the slow path.
            if bytes[pathStart...].contains(UInt8(ascii: "%")) { return false }
            let pathEnd = bytes[pathStart...].firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count
            return pathEnd == pathStart || bytes[pathEnd - 1] != UInt8(ascii: "/")
        }
    }

    /// True when two URLs name the same webhook endpoint.
    public static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        return a == b || normalized(a) == normalized(b)
    }
}
