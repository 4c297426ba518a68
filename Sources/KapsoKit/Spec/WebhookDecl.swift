/// A header as declared, before defaults are merged.
struct HeaderDecl {
    var name: String
    var value: String
    /// The value as written, `${VAR}` references unexpanded.
    var template: String
    var sensitive: Bool
    var mark: Mark
}

/// One attribute's value as declared, with what the rules and the outputs need of its source.
struct DeclaredValue {
    var value: FieldValue
    var mark: Mark
    /// The scalar as written, `${VAR}` references unexpanded (string kinds).
    var template: String?
    /// True when `${VAR}` was substituted into it.
    var fromEnvironment = false
    /// The items with their positions (event lists), for rules that point at one item.
    var items: [Located<String>] = []
    /// The headers with their templates and sensitivity (headers).
    var headers: [HeaderDecl] = []
}

/// A webhook (or the defaults block) as declared in one file: every attribute optional, with positions.
struct WebhookDecl {
    var mark: Mark
    var id: Located<String>?
    /// By ``Attribute/ordinal``.
    private var values: [DeclaredValue?] = Array(repeating: nil, count: Attribute.count)
    /// Attributes this webhook takes from `defaults` (set by `merged(over:)`).
    var inherited = AttributeSet()

    init(mark: Mark) {
        self.mark = mark
    }

    subscript(attribute: Attribute) -> DeclaredValue? {
        get { values[attribute.ordinal] }
        set { values[attribute.ordinal] = newValue }
    }

    /// The `kind` this declaration sets (or `kapso`, the API's default).
    var kindValue: String { self[.kind]?.value.string ?? "kapso" }

    /// Attributes a `meta` webhook cannot take: it receives Meta's raw payload, with no event
    /// filter, no buffering and no payload version.
    static let notForMeta: AttributeSet = [.events, .payloadVersion, .bufferEnabled, .bufferWindowSeconds, .maxBufferSize, .bufferEvents]

    /// `self` over `defaults`: own attributes win; headers merge name by name (case-insensitively,
    /// the webhook's spelling wins). A `meta` webhook does not take the defaults it cannot have.
    func merged(over defaults: WebhookDecl?, for scope: WebhookScope) -> WebhookDecl {
        guard let defaults else { return self }
        var out = self
        let meta = (self[.kind] ?? defaults[.kind])?.value.string == "meta"
        for attribute in Attribute.all {
            guard let base = defaults[attribute], !(meta && Self.notForMeta.contains(attribute)) else { continue }
            guard let own = self[attribute] else {
                out[attribute] = base
                out.inherited.insert(attribute)
                continue
            }
            if attribute.kind == .headers {
                let ownNames = Set(own.headers.map { $0.name.lowercased() })
                var merged = own
                merged.headers = base.headers.filter { !ownNames.contains($0.name.lowercased()) } + own.headers
                merged.value = .map(Dictionary(merged.headers.map { ($0.name, $0.value) }) { _, last in last })
                out[attribute] = merged
            }
        }
        return out
    }
}
