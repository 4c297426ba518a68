/// A server URL as an exported spec writes it: the credentials ``URLDisplay`` masks become
/// `${VAR}` placeholders, and the rest is quoted with literal `${` escaped.
struct ExportedURL {
    /// The quoted YAML scalar.
    var text: String

    /// `variable(role, value)` names the placeholder for a secret part (`PASSWORD`, `USERINFO`, or a
    /// query parameter's name).
    init(_ url: String, variable: (String, String) -> String) {
        var pieces: [(literal: Bool, text: String)] = []
        func literal(_ s: Substring) { if !s.isEmpty { pieces.append((true, String(s))) } }
        func secret(_ role: String, _ value: Substring) { pieces.append((false, "${" + variable(role, String(value)) + "}")) }
        if let schemeEnd = url.range(of: "://") {
            literal(url[..<schemeEnd.upperBound])
            let rest = url[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") {
                let userinfo = authority[..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    literal(userinfo[...colon])
                    secret("PASSWORD", userinfo[userinfo.index(after: colon)...])
                } else {
                    secret("USERINFO", userinfo)
                }
                literal(authority[at...])
            } else {
                literal(authority)
            }
            var tail = rest[authorityEnd...]
            var fragment = Substring("")
            if let hash = tail.firstIndex(of: "#") {
                fragment = tail[hash...]
                tail = tail[..<hash]
            }
            if let question = tail.firstIndex(of: "?") {
                literal(tail[...question])
                let parameters = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
                for (index, pair) in parameters.enumerated() {
                    if index > 0 { literal("&") }
                    if let equals = pair.firstIndex(of: "="), pair.index(after: equals) < pair.endIndex,
                       Sensitivity.isSensitiveHeaderName(String(pair[..<equals])) {
                        literal(pair[...equals])
                        secret(String(pair[..<equals]), pair[pair.index(after: equals)...])
                    } else {
                        literal(pair)
                    }
                }
            } else {
                literal(tail)
            }
            literal(fragment)
        } else {
            literal(Substring(url))
        }
        // Quote the whole, then put the placeholders back unescaped.
        var out = "\""
        for piece in pieces {
            out += piece.literal ? String(SpecExporter.quoted(piece.text).dropFirst().dropLast()) : piece.text
        }
        text = out + "\""
    }
}
