/// Where something was declared: a file and a 1-based line and column.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// How a declared webhook is matched to a server webhook inside its config.
public enum WebhookIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Pinned to an existing webhook id (lowercased UUID); the URL may change.
    case id(String)
    /// Matched by URL (in ``URLIdentity`` form).
    case url(String)

    public var description: String {
        switch self {
        case .id(let id): "id \(id)"
        case .url(let url): "url \(url)"
        }
    }
}

/// One webhook as the spec declares it, defaults already merged in.
public struct DesiredWebhook: Sendable, Equatable {
    /// The pinned server id, lowercased, when the spec gives one.
    public var id: String?
    /// The managed attributes; `url` is always set.
    public var attributes: WebhookAttributes
    /// Lowercased names of headers whose values are secrets (credential-like name or `${VAR}` value).
    public var sensitiveHeaders: Set<String>
    /// The secrets as written (`${VAR}` unexpanded), so a saved plan can resolve them again.
    public var secretTemplates: SecretTemplates
    /// Attributes taken from `defaults` rather than written on the webhook.
    public var inheritedAttributes: AttributeSet
    public var location: SourceLocation

    public var url: String { attributes.url ?? "" }

    /// The URL as outputs show it: as written in the spec, so a `${VAR}` shows its name and never
    /// its value, and with credentials written literally (userinfo, `token=` ...) masked.
    public var displayURL: String { URLDisplay.masked(secretTemplates.url ?? url) }

    public var identity: WebhookIdentity {
        if let id { return .id(id) }
        return .url(URLIdentity.normalized(url))
    }
}

/// The text of secret values as the spec writes them, before `${VAR}` expansion.
public struct SecretTemplates: Sendable, Equatable {
    public var secretKey: String?
    /// By lowercased header name, for sensitive headers only.
    public var headers: [String: String]
    /// The URL as written, when it uses `${VAR}`.
    public var url: String?

    public init(secretKey: String? = nil, headers: [String: String] = [:], url: String? = nil) {
        self.secretKey = secretKey
        self.headers = headers
        self.url = url
    }
}

/// One scope — a WhatsApp config, a phone number, or the project — and the webhooks the spec
/// declares for it.
public struct DesiredConfig: Sendable, Equatable {
    /// A config's UUID as first written in the spec (requests use it as it is: a server need not fold
    /// its case; entries whose ids differ only in case are one config), a phone number's id, or the
    /// project.
    public var scope: WebhookScope
    public var name: String?
    /// True when webhooks on the server that this config does not declare are to be deleted.
    public var prune: Bool
    public var webhooks: [DesiredWebhook]
    public var location: SourceLocation
    /// Server webhooks another system owns (`ignore:`): never touched, not drift.
    public var ignore: [IgnorePattern] = []
}
