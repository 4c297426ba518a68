import Foundation

/// The hosts to which plain `http://` is allowed (webhook URLs and the API URL): local testing only.
enum LoopbackHost {
    /// `localhost`, `*.localhost`, `127.x.x.x` and `::1` (with or without brackets).
    static func contains(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
