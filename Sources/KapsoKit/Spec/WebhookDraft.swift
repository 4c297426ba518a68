/// A webhook (or the `defaults` block) as one file declares it: the values of the attributes it
/// writes, before `defaults` are merged and the rules across attributes are checked.
struct WebhookDraft {
    var mark: Mark
    /// The pinned id, lowercased.
    var id: String?
    var values = WebhookAttributes()
    var declared = AttributeSet()
    /// The URL as written, when it uses `${VAR}`.
    var urlTemplate: String?
    /// The secret as written (`${VAR}` unexpanded).
    var secretTemplate: String?
    var headers = HeaderBundle.empty

    init(mark: Mark) {
        self.mark = mark
    }
}

/// The attribute table's rows as the decoder reads them, made once from ``Attribute/all``: the hot
/// loop reads an ordinal's kind and quoted name without copying a row per webhook.
enum DecodingRows {
    static let quotedNames: [String] = Attribute.all.map { "'\($0.name)'" }
    static let kinds: [AttributeKind] = Attribute.all.map(\.kind)
    static let url = Attribute.url.ordinal
    static let kind = Attribute.kind.ordinal
    static let payloadVersion = Attribute.payloadVersion.ordinal
    static let secretKey = Attribute.secretKey.ordinal
    static let events = Attribute.events.ordinal
    static let headers = Attribute.headers.ordinal
    static let bufferEvents = Attribute.bufferEvents.ordinal
    static let notForMeta = Attribute.notForMeta
}

/// Where a draft's values are written: each attribute's, and each event's of its two event lists
/// (for the rules that point at one item). The decoder keeps one, reused from webhook to webhook;
/// `defaults` keeps its own.
struct DraftMarks {
    var attributes = Array(repeating: Mark(line: 1, column: 1), count: Attribute.count)
    var events: [Mark] = []
    var bufferEvents: [Mark] = []

    subscript(ordinal: Int) -> Mark { attributes[ordinal] }

    /// The positions of an event list's items, by the list's ordinal.
    func items(_ ordinal: Int) -> [Mark] { ordinal == DecodingRows.bufferEvents ? bufferEvents : events }
}

/// A header as declared.
struct DeclaredHeader {
    var name: String
    var value: String
    /// The value as written, `${VAR}` references unexpanded.
    var template: String
    var sensitive: Bool
    /// An unset variable was kept as written (`validate` without secrets).
    var unresolved = false

    func same(as other: DeclaredHeader) -> Bool {
        name == other.name && value == other.value && template == other.template && sensitive == other.sensitive
    }
}

/// A block of headers and what a webhook's value needs of it, made once per distinct block
/// (a class: shared, and compared by identity).
final class HeaderBundle: Sendable {
    let list: [DeclaredHeader]
    let value: FieldValue
    let sensitive: Set<String>
    let templates: [String: String]
    /// Every value is known: the block can stand for a later one spelled the same (an unset
    /// variable is noted at every use, so a block with one is read again).
    let reusable: Bool

    init(_ list: [DeclaredHeader]) {
        self.list = list
        reusable = !list.contains(where: \.unresolved)
        value = .map(Dictionary(list.map { ($0.name, $0.value) }) { _, last in last })
        let secret = list.filter(\.sensitive)
        sensitive = Set(secret.map { $0.name.lowercased() })
        templates = Dictionary(secret.map { ($0.name.lowercased(), $0.template) }) { first, _ in first }
    }

    static let empty = HeaderBundle([])

    /// The same headers.
    func holds(_ other: [DeclaredHeader]) -> Bool {
        list.count == other.count && zip(list, other).allSatisfy { $0.same(as: $1) }
    }

    /// `own` over `defaults`: the defaults' headers that `own` does not name (names compare
    /// without case), then `own`'s.
    static func merged(_ own: [DeclaredHeader], over defaults: [DeclaredHeader]) -> [DeclaredHeader] {
        let ownNames = Set(own.map { $0.name.lowercased() })
        return defaults.filter { !ownNames.contains($0.name.lowercased()) } + own
    }
}

/// What the decoder keeps to make a repeated value once: recent event lists and header blocks,
/// the last merge of headers over the defaults', `${VAR}` expansions and the last attributes.
struct DecoderCaches {
    var lists: [[String]] = []
    var headers: [HeaderBundle] = []
    /// The last block of headers a webhook wrote itself (before any merge).
    var lastOwnHeaders: HeaderBundle?
    var lastMerge: (own: HeaderBundle, defaults: HeaderBundle, merged: HeaderBundle)?
    var expansions: [String: Interpolation.Result] = [:]
    /// The last webhook's attributes, whose storage the next one shares when it holds the same
    /// values but for the URL.
    var attributes: WebhookAttributes?
    /// Storage reused from list to list: an event list's names, a header block's names and positions.
    var names: [String] = []
    var headerNames: [(name: String, mark: Mark)] = []

    /// The shared copy of `list`.
    mutating func list(_ list: [String]) -> [String] {
        if let shared = lists.first(where: { $0 == list }) { return shared }
        if lists.count >= 8 { lists.removeFirst() }
        lists.append(list)
        return list
    }

    /// The bundle of these headers: a recent one when it holds the same.
    mutating func bundle(_ list: [DeclaredHeader]) -> HeaderBundle {
        if list.isEmpty { return .empty }
        if let shared = headers.first(where: { $0.holds(list) }) { return shared }
        let made = HeaderBundle(list)
        if headers.count >= 8 { headers.removeFirst() }
        headers.append(made)
        return made
    }

    /// `own` merged over `defaults`, made once for a run of webhooks that repeat the same.
    mutating func merge(_ own: HeaderBundle, over defaults: HeaderBundle) -> HeaderBundle {
        if let last = lastMerge, last.own === own, last.defaults === defaults { return last.merged }
        let merged = bundle(HeaderBundle.merged(own.list, over: defaults.list))
        lastMerge = (own, defaults, merged)
        return merged
    }
}
