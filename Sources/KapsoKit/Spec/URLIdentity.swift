import Foundation

/// The form in which webhook URLs are compared: scheme and host lowercased, the default port
/// dropped. A server that normalises what it stores (`HTTPS://Hooks.Example.com:443/a` saved as
/// `https://hooks.example.com/a`) must not make a declared webhook look missing: that would create
/// a duplicate on every apply. Path, query and fragment are compared exactly.
public enum URLIdentity {
    public static func normalized(_ url: String) -> String {
        guard var components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return url }
        components.scheme = scheme
        if let host = components.host { components.host = host.lowercased() }
        if (scheme == "https" && components.port == 443) || (scheme == "http" && components.port == 80) {
            components.port = nil
        }
        return components.string ?? url
    }

    /// True when two URLs name the same webhook endpoint.
    public static func same(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == b }
        return a == b || normalized(a) == normalized(b)
    }
}
