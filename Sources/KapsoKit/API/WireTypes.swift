import Foundation

/// A webhook as the server returns it. Reads leniently: unknown fields are ignored and every
/// attribute may be missing or null (the Platform API nulls buffer fields when buffering is off).
public struct ServerWebhook: Sendable, Equatable, Decodable {
    public var id: String
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
    public var createdAt: String?
    public var updatedAt: String?

    public init(id: String, attributes: WebhookAttributes, createdAt: String? = nil, updatedAt: String? = nil) {
        self.id = id
        url = attributes.url
        secretKey = attributes.secretKey
        events = attributes.events
        active = attributes.active
        headers = attributes.headers
        bufferEnabled = attributes.bufferEnabled
        bufferWindowSeconds = attributes.bufferWindowSeconds
        maxBufferSize = attributes.maxBufferSize
        bufferEvents = attributes.bufferEvents
        inactivityMinutes = attributes.inactivityMinutes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The writable attributes, as the planner compares them.
    public var attributes: WebhookAttributes {
        WebhookAttributes(url: url, secretKey: secretKey, events: events, active: active, headers: headers,
                          bufferEnabled: bufferEnabled, bufferWindowSeconds: bufferWindowSeconds,
                          maxBufferSize: maxBufferSize, bufferEvents: bufferEvents, inactivityMinutes: inactivityMinutes)
    }

    enum CodingKeys: String, CodingKey {
        case id, url, events, active, headers
        case secretKey = "secret_key"
        case bufferEnabled = "buffer_enabled"
        case bufferWindowSeconds = "buffer_window_seconds"
        case maxBufferSize = "max_buffer_size"
        case bufferEvents = "buffer_events"
        case inactivityMinutes = "inactivity_minutes"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        secretKey = try c.decodeIfPresent(String.self, forKey: .secretKey)
        events = try c.decodeIfPresent([String].self, forKey: .events)
        active = try c.decodeIfPresent(Bool.self, forKey: .active)
        // Header values are strings in every example; a number or boolean is read as its text.
        if let raw = try c.decodeIfPresent([String: JSONValue].self, forKey: .headers) {
            var headers: [String: String] = [:]
            for (name, value) in raw {
                switch value {
                case .string(let s): headers[name] = s
                case .int(let i): headers[name] = String(i)
                case .double(let d): headers[name] = String(d)
                case .bool(let b): headers[name] = String(b)
                case .null, .array, .object: continue
                }
            }
            self.headers = headers
        } else {
            headers = nil
        }
        bufferEnabled = try c.decodeIfPresent(Bool.self, forKey: .bufferEnabled)
        bufferWindowSeconds = try c.decodeIfPresent(Int.self, forKey: .bufferWindowSeconds)
        maxBufferSize = try c.decodeIfPresent(Int.self, forKey: .maxBufferSize)
        bufferEvents = try c.decodeIfPresent([String].self, forKey: .bufferEvents)
        inactivityMinutes = try c.decodeIfPresent(Int.self, forKey: .inactivityMinutes)
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
    }
}

/// A WhatsApp config as `GET /whatsapp_configs` lists it (only what kapsoctl uses).
public struct WhatsAppConfig: Sendable, Equatable, Decodable {
    public var id: String
    public var name: String?
    public var displayPhoneNumber: String?

    public init(id: String, name: String? = nil, displayPhoneNumber: String? = nil) {
        self.id = id
        self.name = name
        self.displayPhoneNumber = displayPhoneNumber
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case displayPhoneNumber = "display_phone_number"
    }
}

/// Pagination data of a list response.
public struct PageMeta: Sendable, Equatable, Codable {
    public var page: Int
    public var perPage: Int
    public var totalPages: Int
    public var totalCount: Int

    public init(page: Int, perPage: Int, totalPages: Int, totalCount: Int) {
        self.page = page
        self.perPage = perPage
        self.totalPages = totalPages
        self.totalCount = totalCount
    }

    enum CodingKeys: String, CodingKey {
        case page
        case perPage = "per_page"
        case totalPages = "total_pages"
        case totalCount = "total_count"
    }
}

/// `{"data": ...}`, the wrapper of every response.
struct DataEnvelope<Value: Decodable>: Decodable {
    var data: Value
}

/// `{"data": [...], "meta": {...}}`, a page of a list.
struct PageEnvelope<Value: Decodable>: Decodable {
    var data: [Value]
    var meta: PageMeta?
}

/// `{"whatsapp_webhook": {...}}`, the wrapper every POST and PATCH body needs.
struct WebhookBody: Encodable {
    var whatsappWebhook: WebhookAttributes

    enum CodingKeys: String, CodingKey {
        case whatsappWebhook = "whatsapp_webhook"
    }
}

/// `{"error": "..."}` or `{"error", "status", "message"}`: both shapes are accepted.
struct ErrorBody: Decodable {
    var error: String?
    var message: String?
}
