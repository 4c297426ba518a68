/// Where webhooks live: a WhatsApp config (legacy API), or a phone number or the project itself
/// (Platform API). Identity, pruning and the routes of writes are per scope.
public enum WebhookScope: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// A legacy WhatsApp config, by its UUID as first written.
    case config(String)
    /// A Platform phone number, by Meta's `phone_number_id` (digits).
    case phoneNumber(String)
    /// The Platform project: webhooks that are not bound to a number.
    case project

    /// The config's or the number's id; nil for the project.
    public var id: String? {
        switch self {
        case .config(let id), .phoneNumber(let id): id
        case .project: nil
        }
    }

    /// The generation whose API serves the scope.
    public var api: APIGeneration {
        if case .config = self { return .legacy }
        return .platform
    }

    /// `config 4a5b…`, `phone number 1234567890`, `the project`: for messages.
    public var description: String {
        switch self {
        case .config(let id): "config \(id)"
        case .phoneNumber(let id): "phone number \(id)"
        case .project: "the project"
        }
    }

    /// `Config 4a5b…`, `Phone number 1234567890`, `Project`: for headings.
    public var title: String {
        switch self {
        case .config(let id): "Config \(id)"
        case .phoneNumber(let id): "Phone number \(id)"
        case .project: "Project"
        }
    }

    /// Configs and numbers by id (configs whatever their case), then the project.
    public static func < (a: WebhookScope, b: WebhookScope) -> Bool {
        func key(_ s: WebhookScope) -> (Int, String) {
            switch s {
            case .config(let id): (0, id.lowercased())
            case .phoneNumber(let id): (1, id)
            case .project: (2, "")
            }
        }
        return key(a) < key(b)
    }

    /// Two scopes are one whatever the case of a config id.
    var mergeKey: String {
        switch self {
        case .config(let id): "config:" + id.lowercased()
        case .phoneNumber(let id): "number:" + id
        case .project: "project"
        }
    }

    enum CodingKeys: String, CodingKey { case kind, id }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .config(let id):
            try c.encode("whatsapp_config", forKey: .kind)
            try c.encode(id, forKey: .id)
        case .phoneNumber(let id):
            try c.encode("phone_number", forKey: .kind)
            try c.encode(id, forKey: .id)
        case .project:
            try c.encode("project", forKey: .kind)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "whatsapp_config": self = .config(try c.decode(String.self, forKey: .id))
        case "phone_number": self = .phoneNumber(try c.decode(String.self, forKey: .id))
        case "project": self = .project
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown scope \(other)")
        }
    }
}
