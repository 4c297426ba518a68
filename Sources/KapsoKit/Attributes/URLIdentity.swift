import Foundation

/// The form in which webhook URLs are compared: scheme and host lowercased, the default port
/// dropped. A server that normalises what it stores (`HTTPS://Hooks.Example.com:443/a` saved as
/// `https://hooks.example.com/a`) must not make a declared webhook look missing: that would create
/// a duplicate on every apply. Path, query and fragment are compared exactly.
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
        return components.string ?? url
    }

    /// The common case without parsing: a lowercase scheme and authority with no port (every
    /// webhook of a large spec goes through here).
    private static func isAlreadyNormal(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { bytes in
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 2 < bytes.count,
                  bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { return false }
            for byte in bytes[..<colon] where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { return false }
            for byte in bytes[(colon + 3)...] {
                if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { break }
                if byte == UInt8(ascii: ":") || byte == UInt8(ascii: "@") || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) {
                    return false
                }
            }
            return true
        }
    }

    /// True when two URLs name the same webhook endpoint.
    public static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        return a == b || normalized(a) == normalized(b)
    }
}
