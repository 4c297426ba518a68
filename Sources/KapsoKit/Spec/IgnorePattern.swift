/// An `ignore:` pattern: a URL in which `*` matches any text (none included). Scheme and host
/// compare without case, the rest exactly; a pattern matches the whole URL.
public struct IgnorePattern: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let text: String
    private let parts: [String]

    public init(_ text: String) {
        self.text = text
        parts = Self.foldingOrigin(text).components(separatedBy: "*")
    }

    public var description: String { text }

    /// Why `text` is not a pattern, or nil.
    static func problem(_ text: String) -> String? {
        if text.isEmpty { return "an 'ignore' pattern must not be empty" }
        if text.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            return "an 'ignore' pattern must not contain spaces or control characters"
        }
        if text.utf8.count > 2048 { return "an 'ignore' pattern is longer than 2048 bytes" }
        if !(text.hasPrefix("https://") || text.hasPrefix("http://") || text.hasPrefix("*")) {
            return "an 'ignore' pattern is a URL, '*' matching any text: like https://hooks.zapier.com/* (it must start with https://, http:// or *)"
        }
        if text == "*" || text.allSatisfy({ $0 == "*" }) {
            return "an 'ignore' pattern of '*' alone would hide every undeclared webhook, an attacker's included; name the URLs another system owns"
        }
        return nil
    }

    public func matches(_ url: String) -> Bool {
        let target = Self.foldingOrigin(url)
        guard parts.count > 1 else { return target == parts[0] }
        guard target.hasPrefix(parts[0]) else { return false }
        var rest = target.dropFirst(parts[0].count)
        for (index, part) in parts.enumerated().dropFirst() {
            if index == parts.count - 1 { return part.isEmpty || (rest.count >= part.count && rest.hasSuffix(part)) }
            if part.isEmpty { continue }
            guard let found = rest.range(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        return true
    }

    /// `scheme://host` lowercased, the rest as it is.
    private static func foldingOrigin(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let afterScheme = text[schemeEnd.upperBound...]
        let hostEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        return text[..<hostEnd].lowercased() + text[hostEnd...]
    }
}

/// Everything the spec files declare: the input of the planner.
public struct DesiredState: Sendable, Equatable {
    /// The generation every file of the run targets.
    public var api: APIGeneration
    /// Sorted by scope (configs or numbers by id, then the project), so every run walks them in the same order.
    public var configs: [DesiredConfig]
    /// Every value substituted from the environment: a secret wherever it appears, so outputs mask
    /// it (``Redactor``).
    public var secretValues: Set<String> = []
    /// What loading noted without failing: unset variables, when they are allowed.
    public var notes: [SpecDiagnostic] = []
    /// The bytes each file held when it was read (what a saved plan fingerprints).
    public var sources: [SpecSource] = []

    public var webhookCount: Int { configs.reduce(0) { $0 + $1.webhooks.count } }
}

/// One spec file as it was read: its path and its bytes (a leading byte order mark dropped).
public struct SpecSource: Sendable, Equatable {
    public var path: String
    public var bytes: [UInt8]
}
