import Foundation

/// A webhook as the server returns it: its id, its attributes and its timestamps. Reads leniently:
/// unknown fields are ignored and every attribute may be missing or null (the Platform API nulls
/// buffer fields when buffering is off); each attribute is read by its kind (``AttributeKind``).
/// Attributes read as members (`hook.url`, `hook.bufferEnabled`) or by subscript (`hook[.active]`).
@dynamicMemberLookup
public struct ServerWebhook: Sendable, Equatable, JSONReadable {
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

    /// `id` a string; the timestamps absent, null or strings; `phone_number_id` digits (a string or a
    /// number) or anything else, read as none; each attribute read leniently by its kind.
    init?(json: JSONValue) {
        guard let fields = json.object, let id = fields["id"]?.string,
              let createdAt = fields.optional("created_at", \.string),
              let updatedAt = fields.optional("updated_at", \.string) else { return nil }
        self.init(id: id, attributes: WebhookAttributes(json: json), createdAt: createdAt, updatedAt: updatedAt,
                  phoneNumberID: fields["phone_number_id"]?.digits)
        placed = fields["phone_number_id"] != nil
    }
}

/// A WhatsApp config as `GET /whatsapp_configs` lists it (only what kapsoctl uses).
public struct WhatsAppConfig: Sendable, Equatable, JSONReadable {
    public var id: String
    public var name: String?
    public var displayPhoneNumber: String?

    public init(id: String, name: String? = nil, displayPhoneNumber: String? = nil) {
        self.id = id
        self.name = name
        self.displayPhoneNumber = displayPhoneNumber
    }

    init?(json: JSONValue) {
        guard let fields = json.object, let id = fields["id"]?.string, let name = fields.optional("name", \.string),
              let display = fields.optional("display_phone_number", \.string) else { return nil }
        self.init(id: id, name: name, displayPhoneNumber: display)
    }
}

/// A phone number as the Platform API lists it (`GET /whatsapp/phone_numbers`; only what kapsoctl uses).
public struct PhoneNumber: Sendable, Equatable, JSONReadable, Identifiable {
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

    /// `phone_number_id` digits (a string or a number); the others absent, null or strings.
    init?(json: JSONValue) {
        guard let fields = json.object, let id = fields["phone_number_id"]?.digits,
              let internalID = fields.optional("internal_id", \.string), let name = fields.optional("name", \.string),
              let display = fields.optional("display_phone_number", \.string) else { return nil }
        self.init(phoneNumberID: id, internalID: internalID, name: name, displayPhoneNumber: display)
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
public struct PageMeta: Sendable, Equatable, JSONReadable {
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

    init?(json: JSONValue) {
        guard let fields = json.object, let page = fields["page"]?.int, let perPage = fields["per_page"]?.int,
              let pages = fields["total_pages"]?.int, let count = fields["total_count"]?.int else { return nil }
        self.init(page: page, perPage: perPage, totalPages: pages, totalCount: count)
    }
}

/// `{"whatsapp_webhook": {...}}`, the wrapper every POST and PATCH body needs.
struct WebhookBody: Encodable {
    var whatsappWebhook: WebhookAttributes

    enum CodingKeys: String, CodingKey {
        case whatsappWebhook = "whatsapp_webhook"
    }
}
