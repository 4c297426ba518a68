import Foundation

/// A webhook as the server returns it: its id, its attributes and its timestamps. Reads leniently:
/// unknown fields are ignored and every attribute may be missing or null (the Platform API nulls
/// buffer fields when buffering is off). Attributes read as members: `hook.url`, `hook.active`.
@dynamicMemberLookup
public struct ServerWebhook: Sendable, Equatable, Decodable {
    public var id: String
    /// The writable attributes, as the planner compares them.
    public var attributes: WebhookAttributes
    public var createdAt: String?
    public var updatedAt: String?

    public init(id: String, attributes: WebhookAttributes, createdAt: String? = nil, updatedAt: String? = nil) {
        self.id = id
        self.attributes = attributes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<WebhookAttributes, Value>) -> Value {
        get { attributes[keyPath: keyPath] }
        set { attributes[keyPath: keyPath] = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case id
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
        let a = try decoder.container(keyedBy: WebhookAttributes.CodingKeys.self)
        attributes = WebhookAttributes(
            url: try a.decodeIfPresent(String.self, forKey: .url),
            secretKey: try a.decodeIfPresent(String.self, forKey: .secretKey),
            events: try a.decodeIfPresent([String].self, forKey: .events),
            active: try a.decodeIfPresent(Bool.self, forKey: .active),
            headers: try Self.headers(a),
            bufferEnabled: try a.decodeIfPresent(Bool.self, forKey: .bufferEnabled),
            bufferWindowSeconds: try a.decodeIfPresent(Int.self, forKey: .bufferWindowSeconds),
            maxBufferSize: try a.decodeIfPresent(Int.self, forKey: .maxBufferSize),
            bufferEvents: try a.decodeIfPresent([String].self, forKey: .bufferEvents),
            inactivityMinutes: try a.decodeIfPresent(Int.self, forKey: .inactivityMinutes))
    }

    /// Header values are strings in every example; a number or boolean is read as its text.
    private static func headers(_ a: KeyedDecodingContainer<WebhookAttributes.CodingKeys>) throws -> [String: String]? {
        guard let raw = try a.decodeIfPresent([String: JSONValue].self, forKey: .headers) else { return nil }
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
        return headers
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
