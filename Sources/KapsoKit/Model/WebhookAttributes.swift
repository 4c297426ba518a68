/// Attributes of a webhook, by ``Attribute``: a spec's managed attributes, a server's values, or a
/// POST/PATCH body.
///
/// In a spec, an attribute that is absent is **not managed**: never compared, never sent. As a
/// request body it carries exactly the attributes that are set. It encodes as a JSON object keyed
/// by the attributes' names, and decodes leniently (unknown keys ignored, each value read by its
/// attribute's kind).
public struct WebhookAttributes: Sendable, Equatable, Codable {
    /// By ``Attribute/ordinal``: one slot per row of the table (no hashing on the hot paths). The
    /// URL's slot stays empty: the URL is held apart, so that webhooks which differ only in their
    /// URL — most of a large spec's — can share one storage for the rest (``shareStorage(with:)``).
    private var values: [FieldValue?] = Array(repeating: nil, count: Attribute.count)
    private var urlValue: FieldValue?

    private static let urlOrdinal = Attribute.url.ordinal

    public init() {}

    /// `WebhookAttributes([.url: "https://…", .events: ["whatsapp.message.sent"], .active: false])`
    public init(_ values: [Attribute: FieldValue]) {
        for (attribute, value) in values { self[attribute] = value }
    }

    public subscript(attribute: Attribute) -> FieldValue? {
        get { self[ordinal: attribute.ordinal] }
        set { self[ordinal: attribute.ordinal] = newValue }
    }

    /// By the row's ordinal (hot paths that do not hold the row).
    subscript(ordinal ordinal: Int) -> FieldValue? {
        get { ordinal == Self.urlOrdinal ? urlValue : values[ordinal] }
        set {
            if ordinal == Self.urlOrdinal { urlValue = newValue } else { values[ordinal] = newValue }
        }
    }

    /// The attributes that are set, in table order.
    public var entries: [(attribute: Attribute, value: FieldValue)] {
        Attribute.all.compactMap { attribute in self[attribute].map { (attribute, $0) } }
    }

    /// These attributes' values, and no others.
    func only(_ attributes: AttributeSet) -> WebhookAttributes {
        var kept = WebhookAttributes()
        for attribute in Attribute.all where attributes.contains(attribute) { kept[attribute] = self[attribute] }
        return kept
    }

    /// The names of the attributes that are set, in table order.
    public var setNames: [String] { entries.map(\.attribute.name) }

    public var isEmpty: Bool { urlValue == nil && values.allSatisfy { $0 == nil } }

    /// Uses `other`'s storage for every attribute but the URL when the two hold the same values
    /// there; false when they differ. A spec's decoder shares the storage of webhooks that repeat
    /// one another: one copy in memory instead of one per webhook.
    mutating func shareStorage(with other: WebhookAttributes) -> Bool {
        guard values == other.values else { return false }
        values = other.values
        return true
    }

    // Typed views of the attributes that carry special rules (identity, secrets, buffering).
    public var url: String? { self[.url]?.string }
    public var secretKey: String? { self[.secretKey]?.string }
    public var events: [String]? { self[.events]?.list }
    public var headers: [String: String]? { self[.headers]?.map }
    public var bufferEnabled: Bool? { self[.bufferEnabled]?.bool }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(JSONValue.object(Dictionary(uniqueKeysWithValues: entries.map { ($0.attribute.name, $0.value.json) })))
    }

    /// The attributes of a JSON object, each read leniently by its kind (``AttributeKind/read(_:)``):
    /// an absent or null attribute, or one its kind cannot read, is left unset; so is every
    /// attribute of anything but an object.
    public init(json: JSONValue) {
        self.init()
        guard case .object(let fields) = json else { return }
        for attribute in Attribute.all {
            guard let value = fields[attribute.name], value != .null, let read = attribute.kind.read(value) else { continue }
            self[attribute] = read
        }
    }

    /// As ``init(json:)``, from a decoder (saved plans).
    public init(from decoder: any Decoder) throws {
        self.init(json: try JSONValue(from: decoder))
    }
}

/// A set of attributes, as bits by ``Attribute/ordinal``.
public struct AttributeSet: Sendable, Hashable, ExpressibleByArrayLiteral {
    private var bits: UInt32 = 0

    public init() {}

    public init(arrayLiteral attributes: Attribute...) {
        for attribute in attributes { insert(attribute) }
    }

    public func contains(_ attribute: Attribute) -> Bool { bits & (1 << attribute.ordinal) != 0 }

    public mutating func insert(_ attribute: Attribute) { bits |= 1 << attribute.ordinal }

    func contains(ordinal: Int) -> Bool { bits & (1 << ordinal) != 0 }

    mutating func insert(ordinal: Int) { bits |= 1 << ordinal }

    public var isEmpty: Bool { bits == 0 }

    /// The attributes in the set, in table order.
    public var attributes: [Attribute] { Attribute.all.filter(contains) }
}
