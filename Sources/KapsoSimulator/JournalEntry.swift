/// One request the simulator received, and what it did.
public struct JournalEntry: Sendable, Equatable, Codable {
    public var method: String
    /// The path, e.g. `/api/v1/whatsapp_configs/…/whatsapp_webhooks`.
    public var path: String
    /// The raw query string, without `?` (empty when none).
    public var query: String
    /// The body as text (empty when none).
    public var body: String
    /// The status sent, or 0 when the connection was dropped.
    public var status: Int
    /// The injected fault, if any: `rate_limit`, `server_error`, `drop_before_write`, `drop_after_write`,
    /// `list_shift`, `concurrent_create`.
    public var fault: String?

    /// The request's `User-Agent`, when it had one.
    public var userAgent: String?

    public init(method: String, path: String, query: String, body: String, status: Int, fault: String? = nil, userAgent: String? = nil) {
        self.userAgent = userAgent
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.status = status
        self.fault = fault
    }

    enum CodingKeys: String, CodingKey {
        case method, path, query, body, status, fault
        case userAgent = "user_agent"
    }

    /// True for POST, PATCH, PUT and DELETE.
    public var isWrite: Bool { Self.isWrite(method) }

    /// Whether a request with `method` writes: POST, PATCH, PUT or DELETE.
    public static func isWrite(_ method: String) -> Bool { ["POST", "PATCH", "PUT", "DELETE"].contains(method) }
}
