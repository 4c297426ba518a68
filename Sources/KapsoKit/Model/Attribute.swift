/// One attribute of a Kapso webhook: a row of **the attribute table** (``Attribute/all``).
///
/// The row is the one place that knows an attribute: its API name, the kind of its values (which
/// says how they are read from a spec, read from and checked on the wire, compared, shown and
/// exported — see ``AttributeKind``), whether it is secret, whether the API requires it on create,
/// whether `defaults` may set it, whether it only matters while buffering is on, and the value the
/// API gives it when a create leaves it out. The spec decoder, the planner (create, compare, PATCH
/// body), the renderers, saved plans, export and the simulator iterate over the table; a new
/// attribute of an existing kind is one row.
public struct Attribute: Sendable, Hashable, CustomStringConvertible {
    /// The API's name, which the spec uses too.
    public let name: String
    public let kind: AttributeKind
    /// Never shown: a change reads `(sensitive value changed)`.
    public let sensitive: Bool
    /// The API refuses a create without it.
    public let requiredOnCreate: Bool
    /// `defaults` may set it (not the URL: every webhook names its own).
    public let allowedInDefaults: Bool
    /// Means something only while buffering is on: while it is off the value is compared only
    /// when the webhook itself sets it and the server reports one, and export leaves it out.
    public let onlyWhileBuffering: Bool
    /// The API's value when a create leaves it out (the simulator applies it).
    public let serverDefault: FieldValue?
    /// What a server that reports no value (absent or null) means: compared as this value.
    public let absentMeans: FieldValue?
    /// Cannot change on the server: a differing value is a replace (delete, then create).
    public let immutable: Bool
    /// One sentence for people: the JSON Schema's description (editors show it).
    public let help: String
    /// The row's place in ``all``: attributes are stored by it (``WebhookAttributes``, ``AttributeSet``).
    public let ordinal: Int

    init(_ ordinal: Int, _ name: String, _ kind: AttributeKind, sensitive: Bool = false, requiredOnCreate: Bool = false,
         allowedInDefaults: Bool = true, onlyWhileBuffering: Bool = false, serverDefault: FieldValue? = nil,
         absentMeans: FieldValue? = nil, immutable: Bool = false, help: String) {
        self.ordinal = ordinal
        self.help = help
        self.name = name
        self.kind = kind
        self.sensitive = sensitive
        self.requiredOnCreate = requiredOnCreate
        self.allowedInDefaults = allowedInDefaults
        self.onlyWhileBuffering = onlyWhileBuffering
        self.serverDefault = serverDefault
        self.absentMeans = absentMeans
        self.immutable = immutable
    }

    public var description: String { name }

    public static func == (a: Attribute, b: Attribute) -> Bool { a.ordinal == b.ordinal }
    public func hash(into hasher: inout Hasher) { hasher.combine(ordinal) }
}

extension Attribute {
    public static let url = Attribute(0, "url", .url, requiredOnCreate: true, allowedInDefaults: false,
                                      help: "Where deliveries are POSTed: https (http only to a loopback host). Identifies the webhook unless 'id' pins it.")
    /// Platform API only: what a delivery carries (`meta`: the raw Meta payload, no events, no buffering).
    public static let kind = Attribute(1, "kind", .choice(["kapso", "meta"]), serverDefault: "kapso", absentMeans: "kapso", immutable: true,
                                       help: "Platform API: 'kapso' (Kapso's events) or 'meta' (Meta's raw payload; no events, no buffering; one per number). Changing it replaces the webhook.")
    /// Platform API only: the shape of a `kapso` webhook's payload.
    public static let payloadVersion = Attribute(2, "payload_version", .choice(["v1", "v2"]), serverDefault: "v2", absentMeans: "v2",
                                                 help: "Platform API: the payload's shape for a 'kapso' webhook (default v2).")
    public static let secretKey = Attribute(3, "secret_key", .secret, sensitive: true, requiredOnCreate: true,
                                            help: "The HMAC-SHA256 key Kapso signs deliveries with. Never printed; write ${VAR} to read it from the environment.")
    public static let events = Attribute(4, "events", .events(buffered: false), requiredOnCreate: true,
                                         help: "The events the webhook receives (at least one; a new Kapso event goes in the top-level 'extra_events').")
    public static let active = Attribute(5, "active", .boolean, serverDefault: true, help: "Whether deliveries are sent (default true).")
    public static let headers = Attribute(6, "headers", .headers, serverDefault: [:],
                                          help: "Extra headers sent with every delivery; names are case-insensitive. Credential-like names and ${VAR} values are secret.")
    public static let bufferEnabled = Attribute(7, "buffer_enabled", .boolean, serverDefault: false,
                                                help: "Batch received messages into one delivery (default false).")
    public static let bufferWindowSeconds = Attribute(8, "buffer_window_seconds", .integer(1...60), onlyWhileBuffering: true, serverDefault: 5,
                                                      help: "Seconds a batch collects messages, 1 to 60 (default 5).")
    public static let maxBufferSize = Attribute(9, "max_buffer_size", .integer(1...100), onlyWhileBuffering: true, serverDefault: 50,
                                                help: "Messages per batch at most, 1 to 100 (default 50).")
    public static let bufferEvents = Attribute(10, "buffer_events", .events(buffered: true), onlyWhileBuffering: true,
                                               serverDefault: .list([EventNames.bufferable]),
                                               help: "The events that are batched: only whatsapp.message.received, which 'events' must list.")
    public static let inactivityMinutes = Attribute(11, "inactivity_minutes", .integer(1...1440), serverDefault: 60,
                                                    help: "Minutes without messages before whatsapp.conversation.inactive fires, 1 to 1440 (default 60).")

    /// The table: every attribute, in documentation order, which is also the order of every output.
    public static let all: [Attribute] = [
        .url, .kind, .payloadVersion, .secretKey, .events, .active, .headers, .bufferEnabled, .bufferWindowSeconds, .maxBufferSize,
        .bufferEvents, .inactivityMinutes,
    ]

    /// The attributes of a generation's webhooks: the legacy API has neither `kind` nor `payload_version`.
    public static func table(for api: APIGeneration) -> [Attribute] {
        switch api {
        case .legacy: legacy
        case .platform: all
        }
    }

    private static let legacy = all.filter { $0 != .kind && $0 != .payloadVersion }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The attribute with this API name.
    public static func named(_ name: String) -> Attribute? { byName[name] }

    /// Every attribute name, in table order.
    public static let names: [String] = all.map(\.name)

    /// How many attributes the table has.
    public static let count = all.count

    /// What a `meta` webhook cannot take: it receives Meta's raw payload, with no event filter, no
    /// buffering and no payload version.
    public static let notForMeta: AttributeSet = [.events, .payloadVersion, .bufferEnabled, .bufferWindowSeconds, .maxBufferSize, .bufferEvents]
}

/// Which Kapso API generation a spec targets.
public enum APIGeneration: String, Sendable, CaseIterable, Codable {
    /// `https://app.kapso.ai/api/v1`: webhooks per WhatsApp config.
    case legacy
    /// `https://api.kapso.ai/platform/v1`: webhooks per phone number and per project.
    case platform
}
