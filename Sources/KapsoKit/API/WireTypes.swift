import Foundation

/// A webhook as the server returns it: its id, its attributes and its timestamps. Reads leniently:
/// unknown fields are ignored and every attribute may be missing or null (the Platform API nulls
/// buffer fields when buffering is off); each attribute is read by its kind (``AttributeKind``).
/// Attributes read as members (`hook.url`, `hook.bufferEnabled`) or by subscript (`hook[.active]`).
@dynamicMemberLookup
public struct ServerWebhook: Sendable, Equatable, Decodable {
    public var id: String
    /// The writable attributes, as the planner compares them.
    public var attributes: WebhookAttributes
    public var createdAt: String?
    public var updatedAt: String?
    /// Platform API: the number the webhook is bound to; nil for a project webhook (and in the
    /// legacy API, which has no such field).
    public var phoneNumberID: String?
    /// False when the answer did not say (no `phone_number_id` key: the OpenAPI schema makes it
    /// optional): a nil `phoneNumberID` then does not mean the project.
    public var placed = true

    public init(id: String, attributes: WebhookAttributes, createdAt: String? = nil, updatedAt: String? = nil,
                phoneNumberID: String? = nil) {
        self.id = id
        self.attributes = attributes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.phoneNumberID = phoneNumberID
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<WebhookAttributes, Value>) -> Value {
        attributes[keyPath: keyPath]
    }

    public subscript(attribute: Attribute) -> FieldValue? {
        get { attributes[attribute] }
        set { attributes[attribute] = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case id
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case phoneNumberID = "phone_number_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
        phoneNumberID = try c.decodeIfPresent(JSONValue.self, forKey: .phoneNumberID).flatMap(\.digits)
        placed = c.contains(.phoneNumberID)
        attributes = try WebhookAttributes(from: decoder)
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

/// A phone number as the Platform API lists it (`GET /whatsapp/phone_numbers`; only what kapsoctl uses).
public struct PhoneNumber: Sendable, Equatable, Decodable, Identifiable {
    /// Meta's id of the number: how specs and webhooks name it.
    public var phoneNumberID: String
    /// Kapso's own id of the number (the legacy API's config id, it seems).
    public var internalID: String?
    public var name: String?
    public var displayPhoneNumber: String?

    public var id: String { phoneNumberID }

    public init(phoneNumberID: String, internalID: String? = nil, name: String? = nil, displayPhoneNumber: String? = nil) {
        self.phoneNumberID = phoneNumberID
        self.internalID = internalID
        self.name = name
        self.displayPhoneNumber = displayPhoneNumber
    }

    enum CodingKeys: String, CodingKey {
        case name
        case phoneNumberID = "phone_number_id"
        case internalID = "internal_id"
        case displayPhoneNumber = "display_phone_number"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let id = try c.decode(JSONValue.self, forKey: .phoneNumberID).digits else {
            throw DecodingError.dataCorruptedError(forKey: .phoneNumberID, in: c, debugDescription: "phone_number_id is not digits")
        }
        phoneNumberID = id
        internalID = try c.decodeIfPresent(String.self, forKey: .internalID)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        displayPhoneNumber = try c.decodeIfPresent(String.self, forKey: .displayPhoneNumber)
    }
}

extension JSONValue {
    /// A number's id written as a string or as a JSON number (the API, the simulator and seeds
    /// accept both).
    public var digits: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        default: nil
        }
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
