import Foundation

/// One delivery Kapso recorded (`GET /webhook_deliveries`, Platform v1). Only what `status` reads;
/// a status word Kapso may add later reads as `pending` (not settled), never as a failure.
public struct Delivery: Sendable, Equatable, JSONReadable {
    public enum Status: String, Sendable {
        case pending, delivered, failed
    }

    public var status: Status
    public var event: String?
    /// The receiver's HTTP status, when it answered.
    public var responseStatus: Int?
    public var createdAt: String?
    public var failedAt: String?

    public init(status: Status, event: String? = nil, responseStatus: Int? = nil, createdAt: String? = nil, failedAt: String? = nil) {
        self.status = status
        self.event = event
        self.responseStatus = responseStatus
        self.createdAt = createdAt
        self.failedAt = failedAt
    }

    /// Any object: each field is read when it is there with its documented type, and left out
    /// otherwise (an unknown or missing status reads as `pending`).
    init?(json: JSONValue) {
        guard let fields = json.object else { return nil }
        self.init(status: fields["status"]?.string.flatMap(Status.init(rawValue:)) ?? .pending, event: fields["event"]?.string,
                  responseStatus: fields["response_status"]?.int, createdAt: fields["created_at"]?.string,
                  failedAt: fields["failed_at"]?.string)
    }
}

/// The period `GET /webhook_deliveries` filters on.
public enum DeliveryPeriod: String, Sendable, CaseIterable {
    case day = "24h", week = "7d", month = "30d"
}

/// One page of deliveries, newest first, and the cursor of the next (older) one, nil on the last.
public struct DeliveryPage: Sendable, Equatable {
    public var deliveries: [Delivery]
    public var next: String?
}

extension KapsoClient {
    /// `{"data": [...], "paging": {"cursors": {"after": ...}, "next": ...}}`; `paging` and its
    /// fields may be absent or null.
    private struct DeliveriesBody: JSONReadable {
        var deliveries: [Delivery]
        var after: String?
        var next: String?

        init?(json: JSONValue) {
            guard let fields = json.object, let deliveries = fields["data"].flatMap([Delivery].init(json:)),
                  let paging = fields.optional("paging", \.object),
                  let cursors = (paging ?? [:]).optional("cursors", \.object),
                  let after = (cursors ?? [:]).optional("after", \.string),
                  let next = (paging ?? [:]).optional("next", \.string) else { return nil }
            self.deliveries = deliveries
            self.after = after
            self.next = next
        }
    }

    /// A page of a webhook's deliveries in `period` (at most `limit`, 1–100), after the cursor
    /// `after`; `errorsOnly` asks for failed ones only. The webhook id must be a UUID (the
    /// documented shape; a hostile one is never put into a URL).
    public func listDeliveries(webhookID: String, period: DeliveryPeriod, limit: Int = 100, errorsOnly: Bool = false,
                               after: String? = nil) async throws(APIError) -> DeliveryPage {
        let path = "/webhook_deliveries"
        guard UUID(uuidString: webhookID) != nil else {
            throw APIError(method: "GET", path: path, reason: .refused("the webhook id \(HumanText.escape(String(webhookID.prefix(40))).debugDescription) is not a UUID"))
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
        var query = "webhook_id=\(webhookID.lowercased())&period=\(period.rawValue)&limit=\(min(100, max(1, limit)))"
        if errorsOnly { query += "&errors_only=true" }
        if let after { query += "&after=\(after.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        let response = try await perform("GET", path + "?" + query, shownPath: path + "?" + query.replacingOccurrences(of: after ?? "\u{0}", with: "…"))
        let body = try decode(DeliveriesBody.self, response, "GET", path)
        // More pages only when the server says so and gives the cursor to them.
        let cursor = body.next != nil ? body.after : nil
        return DeliveryPage(deliveries: body.deliveries, next: cursor?.isEmpty == false ? cursor : nil)
    }
}

extension KapsoClient {
    /// The client for the delivery history, which only the Platform API serves: this one on the
    /// Platform API; on the legacy API the same key against the Platform API of the same Kapso
    /// (Kapso's own host for the default URL; the same origin's `/platform/v1` otherwise, as the
    /// simulator serves both). The assumption: the project's key reads both generations.
    public func deliveriesClient() throws(ClientConfigurationError) -> KapsoClient {
        let base = baseURL.absoluteString.hasSuffix("/") ? String(baseURL.absoluteString.dropLast()) : baseURL.absoluteString
        if base.hasSuffix("/platform/v1") { return self }
        let platform: String
        if base == Self.defaultBaseURL {
            platform = Self.defaultPlatformURL
        } else if base.hasSuffix("/api/v1") {
            platform = String(base.dropLast("/api/v1".count)) + "/platform/v1"
        } else {
            throw ClientConfigurationError(message: "the delivery history is served by the Platform API only, and \(base) is not a base URL kapsoctl can derive the Platform API's from (…/api/v1 or …/platform/v1): use a spec with 'api: platform' and KAPSO_API_URL set to the Platform API")
        }
        return with(baseURL: try Self.validateBaseURL(platform))
    }
}
