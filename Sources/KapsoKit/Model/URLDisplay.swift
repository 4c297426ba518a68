/// How a webhook URL is shown in every output: credentials masked.
///
/// The userinfo's password (`user:(sensitive)@`; a userinfo without a password is all credential)
/// and the values of credential-like query parameters (names as
/// for headers: `token`, `key`, `secret`, `auth`, `signature`, `password` ...) read `(sensitive)`,
/// unless they hold only `${VAR}` references (a spec's template shows the variable's name, never
/// its value). Secrets elsewhere in a URL (in the path) are masked when they came from `${VAR}`,
/// because outputs show the spec's template for such URLs.
public enum URLDisplay {
    public static let mask = "(sensitive)"

    public static func masked(_ url: String) -> String {
        // Only a userinfo (before an '@') and a query (after a '?') are ever masked.
        guard url.utf8.contains(where: { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "?") }) else { return url }
        guard let schemeEnd = url.range(of: "://") else { return url }
        var out = String(url[..<schemeEnd.upperBound])
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            // `user:password@` shows the user; a lone `token@` is the credential itself.
            if let colon = userinfo.firstIndex(of: ":") {
                let password = userinfo[userinfo.index(after: colon)...]
                if !isOnlyReferences(password) { authority = userinfo[...colon] + mask + authority[at...] }
            } else if !isOnlyReferences(userinfo) {
                authority = mask + authority[at...]
            }
        }
        out += authority
        var tail = rest[authorityEnd...]
        var fragment = Substring("")
        if let hash = tail.firstIndex(of: "#") {
            fragment = tail[hash...]
            tail = tail[..<hash]
        }
        guard let question = tail.firstIndex(of: "?") else { return out + tail + fragment }
        out += tail[...question]
        let parameters = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<equals]
            let value = pair[pair.index(after: equals)...]
            guard !value.isEmpty, Sensitivity.isSensitiveHeaderName(String(name)), !isOnlyReferences(value) else { return String(pair) }
            return name + "=" + mask
        }
        return out + parameters.joined(separator: "&") + fragment
    }

    /// True when `text` is one or more `${NAME}` references and nothing else.
    static func isOnlyReferences(_ text: Substring) -> Bool {
        var rest = text
        guard !rest.isEmpty else { return false }
        while !rest.isEmpty {
            guard rest.hasPrefix("${"), let close = rest.firstIndex(of: "}") else { return false }
            rest = rest[rest.index(after: close)...]
        }
        return true
    }
}
