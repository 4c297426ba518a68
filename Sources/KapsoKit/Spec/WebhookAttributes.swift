/// The ten writable attributes of a Kapso webhook, under the API's own names.
///
/// In a spec, `nil` means "not managed": never compared, never sent. On the wire (issue: client) the
/// same type is a POST or PATCH body that carries exactly the attributes that are set.
public struct WebhookAttributes: Sendable, Equatable, Codable {
    public var url: String?
    public var secretKey: String?
    public var events: [String]?
    public var active: Bool?
    public var headers: [String: String]?
    public var bufferEnabled: Bool?
    public var bufferWindowSeconds: Int?
    public var maxBufferSize: Int?
    public var bufferEvents: [String]?
    public var inactivityMinutes: Int?

    public init(url: String? = nil, secretKey: String? = nil, events: [String]? = nil, active: Bool? = nil,
                headers: [String: String]? = nil, bufferEnabled: Bool? = nil, bufferWindowSeconds: Int? = nil,
                maxBufferSize: Int? = nil, bufferEvents: [String]? = nil, inactivityMinutes: Int? = nil) {
        self.url = url
        self.secretKey = secretKey
        self.events = events
        self.active = active
        self.headers = headers
        self.bufferEnabled = bufferEnabled
        self.bufferWindowSeconds = bufferWindowSeconds
        self.maxBufferSize = maxBufferSize
        self.bufferEvents = bufferEvents
        self.inactivityMinutes = inactivityMinutes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url
        case secretKey = "secret_key"
        case events
        case active
        case headers
        case bufferEnabled = "buffer_enabled"
        case bufferWindowSeconds = "buffer_window_seconds"
        case maxBufferSize = "max_buffer_size"
        case bufferEvents = "buffer_events"
        case inactivityMinutes = "inactivity_minutes"
    }

    /// The attribute names as written in a spec file and on the wire, in documentation order.
    public static let names: [String] = CodingKeys.allCases.map(\.rawValue)

    /// The names of the attributes that are set, in documentation order.
    public var setNames: [String] {
        let set: [Bool] = [url != nil, secretKey != nil, events != nil, active != nil, headers != nil, bufferEnabled != nil,
                           bufferWindowSeconds != nil, maxBufferSize != nil, bufferEvents != nil, inactivityMinutes != nil]
        return zip(Self.names, set).filter(\.1).map(\.0)
    }
}
