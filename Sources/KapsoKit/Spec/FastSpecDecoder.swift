internal import CYaml

/// The spec decoder's fast path: decodes a spec file straight from libyaml's events, without
/// building a node tree, for the shapes real specs have — `version`, `api`, `extra_events`,
/// `defaults`, configs or phone numbers and the project, every attribute in block or flow style,
/// `${VAR}` interpolation.
///
/// It only ever accepts: at anything it does not handle — an anchor, alias, merge key or tag, an
/// unknown or repeated key, a value of the wrong shape, anything the rules refuse, a key out of the
/// order it needs (`api` and `extra_events` before `defaults`, `defaults` before the scopes, a
/// scope's id before its webhooks), an unset variable — it gives up (`nil`) and the tree decoder
/// reads the file from the start, so every diagnostic is the tree decoder's. What it accepts it
/// decodes by the same rules (each value as `SpecFileDecoder.declared` reads it, the merge over
/// `defaults` as `WebhookDecl.merged`, the cross-field and Platform rules as `finish`), into the
/// same `DesiredWebhook`s; the tests load every spec of the test suite, every example and thousands
/// of mutated specs both ways and require identical results.
///
/// Keys and event names are matched as bytes, integers parsed from bytes, a string is made only
/// for a value that is kept, and a webhook is built straight into its `DesiredWebhook`.
struct FastSpecDecoder {
    private let path: String
    private let variables: SpecVariables
    private let events: EventReader
    private var api = APIGeneration.legacy
    private var extraEvents: [String] = []
    private var secretValues = Set<String>()
    /// Values repeated from webhook to webhook (an event list, a block of headers) are made once
    /// and shared: fewer allocations, and less memory for a large spec.
    private var recentLists: [[String]] = []
    private var recentHeaders: [HeaderBundle] = []
    private var scratchNames: [String] = []
    /// The last merge of a webhook's headers over the defaults' (bundles compared by identity).
    private var lastMerge: (own: HeaderBundle, defaults: HeaderBundle, merged: HeaderBundle)?
    /// `${VAR}` templates expanded, and what each gave (a spec has few distinct ones).
    private var expansions: [String: Interpolation.Result] = [:]
    /// The last block of headers a webhook wrote itself (before any merge).
    private var lastOwnHeaders: HeaderBundle?

    /// The file's content, or nil when the tree decoder must read it. An unset variable always
    /// sends the file to the tree decoder (which reports or notes it).
    static func decode(_ source: SourceText, variables: SpecVariables, limits: YAMLLimits) -> SpecFileContent? {
        guard source.bytes.count <= limits.maxBytes else { return nil }
        // libyaml reads the source's own bytes (no copy), which live while this runs.
        return source.bytes.withUnsafeBufferPointer { bytes in
            var fast = FastSpecDecoder(path: source.path, variables: variables, events: EventReader(bytes))
            return fast.document()
        }
    }

    private init(path: String, variables: SpecVariables, events: EventReader) {
        self.path = path
        self.variables = variables
        self.events = events
    }

    // MARK: - Document

    private mutating func document() -> SpecFileContent? {
        guard events.next(), events.type == YAML_STREAM_START_EVENT,
              events.next(), events.type == YAML_DOCUMENT_START_EVENT,
              events.next(), events.type == YAML_MAPPING_START_EVENT, events.plainCollection else { return nil }
        var seen: UInt32 = 0
        var versionSeen = false
        var apiMark: Mark?
        var started = false
        var defaults: FastDecl?
        var scopes: [ScopeDecl] = []
        var hasScopes = false
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_MAPPING_END_EVENT { break }
            guard let key = events.plainKey(Self.topKeys), seen & (1 << key) == 0 else { return nil }
            seen |= 1 << key
            switch Self.topKeys[key] {
            case "version":
                guard events.next(), events.isPlainScalar, events.scalarEquals("1") else { return nil }
                versionSeen = true
            case "api":
                guard !started, events.next(), let text = events.scalarString(), !text.contains("$"),
                      let generation = APIGeneration(rawValue: text) else { return nil }
                api = generation
                apiMark = events.mark
            case "extra_events":
                guard !started, let names = extraEventNames() else { return nil }
                extraEvents = names
            case "defaults":
                guard !started, let decl = webhook(isDefaults: true) else { return nil }
                defaults = decl
                started = true
            case "configs":
                guard api == .legacy, let list = scopeList(.config, defaults: defaults) else { return nil }
                scopes += list
                started = true
                hasScopes = true
            case "phone_numbers":
                guard api == .platform, let list = scopeList(.phoneNumber, defaults: defaults) else { return nil }
                scopes += list
                started = true
                hasScopes = true
            case "project":
                guard api == .platform, events.next(), let project = scope(.project, defaults: defaults) else { return nil }
                scopes.append(project)
                started = true
                hasScopes = true
            default:
                return nil
            }
        }
        guard versionSeen, hasScopes,
              events.next(), events.type == YAML_DOCUMENT_END_EVENT,
              events.next(), events.type == YAML_STREAM_END_EVENT else { return nil }
        return SpecFileContent(api: api, apiMark: apiMark, scopes: scopes, secretValues: secretValues)
    }

    private static let topKeys = KeyTable(["version", "api", "extra_events", "defaults", "configs", "phone_numbers", "project"])
    private static let configKeys = KeyTable(["whatsapp_config_id", "name", "prune", "webhooks"])
    private static let phoneNumberKeys = KeyTable(["phone_number_id", "name", "prune", "webhooks"])
    private static let projectKeys = KeyTable(["prune", "webhooks"])

    private mutating func extraEventNames() -> [String]? {
        guard events.next(), events.type == YAML_SEQUENCE_START_EVENT, events.plainCollection else { return nil }
        var names: [String] = []
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_SEQUENCE_END_EVENT { return names }
            guard let name = events.scalarString(), EventNames.isWellFormed(name) else { return nil }
            names.append(name)
        }
    }

    // MARK: - Scopes

    private mutating func scopeList(_ kind: SpecFileDecoder.ScopeKind, defaults: FastDecl?) -> [ScopeDecl]? {
        guard events.next(), events.type == YAML_SEQUENCE_START_EVENT, events.plainCollection else { return nil }
        var out: [ScopeDecl] = []
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_SEQUENCE_END_EVENT { return out }
            guard let decl = scope(kind, defaults: defaults) else { return nil }
            out.append(decl)
        }
    }

    /// A config, a phone number or the project block; the current event opens it.
    private mutating func scope(_ kind: SpecFileDecoder.ScopeKind, defaults: FastDecl?) -> ScopeDecl? {
        guard events.type == YAML_MAPPING_START_EVENT, events.plainCollection else { return nil }
        let mapMark = events.mark
        let keys = switch kind {
        case .config: Self.configKeys
        case .phoneNumber: Self.phoneNumberKeys
        case .project: Self.projectKeys
        }
        var seen: UInt32 = 0
        var scope: WebhookScope? = kind == .project ? .project : nil
        var idMark = mapMark
        var name: Located<String>?
        var prune: Located<Bool>?
        var webhooks: [DesiredWebhook]?
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_MAPPING_END_EVENT { break }
            guard let key = events.plainKey(keys), seen & (1 << key) == 0 else { return nil }
            seen |= 1 << key
            switch keys[key] {
            case "whatsapp_config_id":
                guard events.next(), let text = events.scalarString(), !text.contains("$"), SpecFileDecoder.isUUID(text) else { return nil }
                scope = .config(text)
                idMark = events.mark
            case "phone_number_id":
                guard events.next(), let text = events.scalarString(), !text.isEmpty, text.utf8.count <= 32,
                      text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
                scope = .phoneNumber(text)
                idMark = events.mark
            case "name":
                guard events.next(), let text = events.scalarString(), !text.contains("$") else { return nil }
                name = Located(value: text, mark: events.mark)
            case "prune":
                guard events.next(), let flag = events.plainBool() else { return nil }
                prune = Located(value: flag, mark: events.mark)
            case "webhooks":
                guard let scope, let list = webhookList(scope: scope, defaults: defaults) else { return nil }
                webhooks = list
            default:
                return nil
            }
        }
        guard let scope, let webhooks else { return nil }
        return ScopeDecl(scope: scope, idMark: idMark, name: name, prune: prune, webhooks: webhooks, mark: mapMark)
    }

    private mutating func webhookList(scope: WebhookScope, defaults: FastDecl?) -> [DesiredWebhook]? {
        guard events.next(), events.type == YAML_SEQUENCE_START_EVENT, events.plainCollection else { return nil }
        var out: [DesiredWebhook] = []
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_SEQUENCE_END_EVENT { return out }
            guard events.type == YAML_MAPPING_START_EVENT, let decl = webhook(isDefaults: false, opened: true),
                  let hook = finish(decl, over: defaults, scope: scope) else { return nil }
            out.append(hook)
        }
    }

    // MARK: - Webhooks

    /// A webhook, or the defaults block: every attribute read by its kind, as the tree decoder's
    /// `declared` reads it. `opened`: its mapping's start is the current event.
    private mutating func webhook(isDefaults: Bool, opened: Bool = false) -> FastDecl? {
        if !opened { guard events.next() else { return nil } }
        guard events.type == YAML_MAPPING_START_EVENT, events.plainCollection else { return nil }
        var decl = FastDecl(mark: events.mark)
        let keys = Self.keys(api: api, defaults: isDefaults)
        var seen: UInt32 = 0
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_MAPPING_END_EVENT { break }
            guard let key = events.plainKey(keys.names), seen & (1 << key) == 0 else { return nil }
            seen |= 1 << key
            guard events.next() else { return nil }
            let row = keys.rows[key]
            if row.ordinal >= 0 {
                guard declare(row, into: &decl) else { return nil }
            } else {
                guard let text = events.scalarString(), !text.contains("$"), SpecFileDecoder.isUUID(text) else { return nil }
                decl.id = text.lowercased()
            }
        }
        if !isDefaults && !decl.declared.contains(ordinal: Ordinal.url) { return nil }
        return decl
    }

    /// The table's ordinals the fast path refers to (checked against the table by a test): plain
    /// constants, so the hot loop never goes through the rows' static storage.
    enum Ordinal {
        static let url = 0, kind = 1, payloadVersion = 2, secretKey = 3, events = 4, headers = 6, bufferEvents = 10
        /// What a `meta` webhook cannot take (``WebhookDecl/notForMeta``), as bits.
        static let notForMeta: UInt32 = 1 << 4 | 1 << 2 | 1 << 7 | 1 << 8 | 1 << 9 | 1 << 10
    }

    /// How a row's value is read: its kind, without the payloads that cost a copy.
    enum Reading {
        case id, url, secret, events(buffered: Bool), boolean, integer(ClosedRange<Int>), choice, headers
    }

    /// A key of a webhook mapping: `id` (ordinal -1) or a row of the table.
    struct Row {
        var ordinal: Int
        var reading: Reading
    }

    /// The keys a webhook (or `defaults`) takes under a generation: `id` and the rows.
    private struct Keys {
        var names: KeyTable
        var rows: [Row]
    }

    private static func keys(_ attributes: [Attribute], id: Bool) -> Keys {
        let rows = attributes.map { attribute -> Row in
            let reading: Reading = switch attribute.kind {
            case .url: .url
            case .secret: .secret
            case .events(let buffered): .events(buffered: buffered)
            case .boolean: .boolean
            case .integer(let range): .integer(range)
            case .choice: .choice
            case .headers: .headers
            }
            return Row(ordinal: attribute.ordinal, reading: reading)
        }
        return Keys(names: KeyTable((id ? ["id"] : []) + attributes.map(\.name)),
                    rows: (id ? [Row(ordinal: -1, reading: .id)] : []) + rows)
    }

    private static let legacyWebhookKeys = keys(Attribute.table(for: .legacy), id: true)
    private static let platformWebhookKeys = keys(Attribute.table(for: .platform), id: true)
    private static let legacyDefaultsKeys = keys(Attribute.table(for: .legacy).filter(\.allowedInDefaults), id: false)
    private static let platformDefaultsKeys = keys(Attribute.table(for: .platform).filter(\.allowedInDefaults), id: false)

    private static func keys(api: APIGeneration, defaults: Bool) -> Keys {
        switch (api, defaults) {
        case (.legacy, false): legacyWebhookKeys
        case (.platform, false): platformWebhookKeys
        case (.legacy, true): legacyDefaultsKeys
        case (.platform, true): platformDefaultsKeys
        }
    }

    /// One attribute's value, the current event starting it, read as `SpecFileDecoder.declared`
    /// reads it; false when the tree decoder must read the file.
    private mutating func declare(_ row: Row, into decl: inout FastDecl) -> Bool {
        let value: FieldValue
        switch row.reading {
        case .id:
            return false
        case .url:
            guard let url = string(), url.value.utf8.count <= 2048,
                  Self.plainHTTPSURL(url.value) || SpecFileDecoder.urlProblem(url.value) == nil else { return false }
            value = .string(url.value)
            decl.urlTemplate = url.fromEnvironment ? url.template : nil
        case .secret:
            guard let secret = string(), !secret.value.isEmpty else { return false }
            value = .string(secret.value)
            decl.secretTemplate = secret.template
        case .events(let buffered):
            guard let names = eventList(buffered: buffered) else { return false }
            value = .list(names)
        case .boolean:
            guard let flag = events.plainBool() else { return false }
            value = .bool(flag)
        case .integer(let range):
            guard let number = events.plainInteger(), range.contains(number) else { return false }
            value = .int(number)
        case .choice:
            guard case .choice(let words) = Attribute.all[row.ordinal].kind, let text = events.scalarString(),
                  words.contains(text) else { return false }
            value = .string(text)
        case .headers:
            guard let headers = headers() else { return false }
            decl.headers = headers
            value = headers.value
        }
        decl.values[ordinal: row.ordinal] = value
        decl.declared.insert(ordinal: row.ordinal)
        return true
    }

    /// A string value with `${VAR}` expanded, as `SpecFileDecoder.string` reads it; nil for
    /// anything else, and for an unset variable (the tree decoder notes or reports it).
    private mutating func string() -> SpecString? {
        let dollar = events.scalarContains(UInt8(ascii: "$"))
        guard let text = events.scalarString() else { return nil }
        let mark = events.mark
        guard dollar else {
            return SpecString(value: text, mark: mark, template: text, fromEnvironment: false, unresolved: false)
        }
        let result: Interpolation.Result
        if let known = expansions[text] {
            result = known
        } else {
            guard let expanded = try? Interpolation.expand(text, variables: variables), expanded.unset.isEmpty else { return nil }
            secretValues.formUnion(expanded.values)
            if expansions.count < 256 { expansions[text] = expanded }
            result = expanded
        }
        return SpecString(value: result.text, mark: mark, template: text, fromEnvironment: result.usedVariables, unresolved: false)
    }

    /// `https://host/path` with nothing a URL check could refuse: lowercase-or-digit host labels,
    /// no port, userinfo, space or control character, no `%`. Anything else gets the full check.
    static func plainHTTPSURL(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { bytes in
            let scheme: StaticString = "https://"
            guard bytes.count > 8, memcmp(bytes.baseAddress!, scheme.utf8Start, 8) == 0 else { return false }
            var index = 8
            while index < bytes.count, bytes[index] != UInt8(ascii: "/") {
                let byte = bytes[index]
                guard (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else { return false }
                index += 1
            }
            guard index > 8 else { return false }
            return Self.plainPathByte.withUnsafeBufferPointer { table in
                bytes[index...].allSatisfy { table[Int($0)] }
            }
        }
    }

    /// Letters, digits and `/-._~`: path bytes no URL check refuses.
    private static let plainPathByte: [Bool] = (0..<256).map { (byte: Int) -> Bool in
        let b = UInt8(byte)
        if b >= 97 && b <= 122 { return true }
        if b >= 65 && b <= 90 { return true }
        if b >= 48 && b <= 57 { return true }
        return "/-._~".utf8.contains(b)
    }

    private mutating func eventList(buffered: Bool) -> [String]? {
        guard events.type == YAML_SEQUENCE_START_EVENT, events.plainCollection else { return nil }
        let api = api
        var names = scratchNames
        names.removeAll(keepingCapacity: true)
        defer { scratchNames = names }
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_SEQUENCE_END_EVENT { break }
            guard events.type == YAML_SCALAR_EVENT, events.plainCollection, !events.isNull else { return nil }
            let name: String
            if let known = events.knownEvent() {
                let (text, projectOnly) = known
                guard api == .platform || !projectOnly else { return nil }
                name = text
            } else {
                guard let text = events.scalarString(), extraEvents.contains(text) else { return nil }
                name = text
            }
            guard !names.contains(name), !buffered || name == EventNames.bufferable else { return nil }
            names.append(name)
        }
        guard buffered || !names.isEmpty else { return nil }
        if let shared = recentLists.first(where: { $0 == names }) { return shared }
        let list = Array(names)
        if recentLists.count >= 8 { recentLists.removeFirst() }
        recentLists.append(list)
        return list
    }

    /// A block of headers and what a webhook's value needs of it, made once per distinct block
    /// (a class: shared, and compared by identity).
    final class HeaderBundle: Sendable {
        let list: [HeaderDecl]
        let value: FieldValue
        let sensitive: Set<String>
        let templates: [String: String]

        init(_ list: [HeaderDecl]) {
            self.list = list
            value = .map(Dictionary(list.map { ($0.name, $0.value) }) { _, last in last })
            let secret = list.filter(\.sensitive)
            sensitive = Set(secret.map { $0.name.lowercased() })
            templates = Dictionary(secret.map { ($0.name.lowercased(), $0.template) }) { first, _ in first }
        }

        static let empty = HeaderBundle([])

        /// The same headers, whatever their positions.
        func holds(_ other: [HeaderDecl]) -> Bool {
            list.count == other.count && zip(list, other).allSatisfy {
                $0.name == $1.name && $0.value == $1.value && $0.template == $1.template && $0.sensitive == $1.sensitive
            }
        }
    }

    /// The bundle of these headers: a recent one when it holds the same.
    private mutating func bundle(_ list: [HeaderDecl]) -> HeaderBundle {
        if list.isEmpty { return .empty }
        if let shared = recentHeaders.first(where: { $0.holds(list) }) { return shared }
        let made = HeaderBundle(list)
        if recentHeaders.count >= 8 { recentHeaders.removeFirst() }
        recentHeaders.append(made)
        return made
    }

    /// A webhook's headers. A block spelled as the last one read (name for name, value for value,
    /// as written) is that block again: no string is made for it and no variable expanded.
    private mutating func headers() -> HeaderBundle? {
        if events.type == YAML_SCALAR_EVENT {
            return events.isNull ? .empty : nil
        }
        guard events.type == YAML_MAPPING_START_EVENT, events.plainCollection else { return nil }
        var candidate = lastOwnHeaders
        var list: [HeaderDecl] = []
        list.reserveCapacity(candidate?.list.count ?? 4)
        while true {
            guard events.next() else { return nil }
            if events.type == YAML_MAPPING_END_EVENT { break }
            if let known = candidate, list.count < known.list.count {
                let entry = known.list[list.count]
                if events.type == YAML_SCALAR_EVENT, events.plainCollection, events.scalarIs(entry.name) {
                    guard events.next() else { return nil }
                    if events.type == YAML_SCALAR_EVENT, events.plainCollection, !events.isNull, events.scalarIs(entry.template) {
                        list.append(entry)
                        continue
                    }
                    // The name matched, the value did not: read this value as new.
                    candidate = nil
                    guard let value = string(), !value.value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return nil }
                    let sensitive = value.fromEnvironment || Sensitivity.isSensitiveHeaderName(entry.name)
                    list.append(HeaderDecl(name: entry.name, value: value.value, template: value.template, sensitive: sensitive, mark: events.mark))
                    continue
                }
            }
            candidate = nil
            guard events.type == YAML_SCALAR_EVENT, events.plainCollection, let name = events.rawString(),
                  !(events.isPlainScalar && name == "<<"), SpecFileDecoder.isHeaderToken(name) else { return nil }
            let keyMark = events.mark
            guard !list.contains(where: { Self.sameHeaderName($0.name, name) }), events.next(), let value = string(),
                  !SpecFileDecoder.hasControlCharacter(value.value) else { return nil }
            let sensitive = value.fromEnvironment || Sensitivity.isSensitiveHeaderName(name)
            list.append(HeaderDecl(name: name, value: value.value, template: value.template, sensitive: sensitive, mark: keyMark))
        }
        if let known = candidate, known.list.count == list.count { return known }
        let made = bundle(list)
        lastOwnHeaders = made
        return made
    }

    /// Header names equal but for ASCII case (names are token characters: ASCII only).
    static func sameHeaderName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 97 && (x | 0x20) <= 122)
        }
    }

    // MARK: - A webhook's value

    /// A webhook (or the defaults) as declared: its values by attribute, and what the outputs need
    /// of their sources.
    struct FastDecl {
        var mark: Mark
        var id: String?
        var values = WebhookAttributes()
        var declared = AttributeSet()
        /// The URL as written, when it uses `${VAR}`.
        var urlTemplate: String?
        var secretTemplate: String?
        var headers = HeaderBundle.empty

        init(mark: Mark) {
            self.mark = mark
        }
    }

    /// The webhook over the defaults (as `WebhookDecl.merged`), checked by the cross-field and
    /// Platform rules (as `finish`), as the planner's value; nil when a rule refuses it.
    private mutating func finish(_ own: consuming FastDecl, over defaults: FastDecl?, scope: WebhookScope) -> DesiredWebhook? {
        var decl = own
        let declared = decl.declared
        var inherited = AttributeSet()
        if let defaults {
            let meta = (decl.values[ordinal: Ordinal.kind] ?? defaults.values[ordinal: Ordinal.kind])?.string == "meta"
            for ordinal in 0..<Attribute.count where defaults.declared.contains(ordinal: ordinal) {
                guard !(meta && Ordinal.notForMeta & (1 << ordinal) != 0) else { continue }
                if !declared.contains(ordinal: ordinal) {
                    decl.values[ordinal: ordinal] = defaults.values[ordinal: ordinal]
                    decl.declared.insert(ordinal: ordinal)
                    inherited.insert(ordinal: ordinal)
                    if ordinal == Ordinal.secretKey { decl.secretTemplate = defaults.secretTemplate }
                    if ordinal == Ordinal.headers { decl.headers = defaults.headers }
                } else if ordinal == Ordinal.headers {
                    let ownHeaders = decl.headers
                    if let last = lastMerge, last.own === ownHeaders, last.defaults === defaults.headers {
                        decl.headers = last.merged
                    } else {
                        let ownNames = Set(ownHeaders.list.map { $0.name.lowercased() })
                        decl.headers = bundle(defaults.headers.list.filter { !ownNames.contains($0.name.lowercased()) } + ownHeaders.list)
                        lastMerge = (ownHeaders, defaults.headers, decl.headers)
                    }
                    decl.values[ordinal: Ordinal.headers] = decl.headers.value
                }
            }
        }
        if api == .platform {
            for event in decl.values[ordinal: Ordinal.events]?.list ?? [] {
                if scope == .project, !EventNames.projectScope.contains(event), !extraEvents.contains(event) { return nil }
                if scope != .project, EventNames.projectScope.contains(event) { return nil }
            }
            if decl.values[ordinal: Ordinal.kind]?.string == "meta" {
                if scope == .project { return nil }
                for ordinal in 0..<Attribute.count where Ordinal.notForMeta & (1 << ordinal) != 0 {
                    if declared.contains(ordinal: ordinal) && !inherited.contains(ordinal: ordinal) { return nil }
                }
            }
        }
        if let buffered = decl.values[ordinal: Ordinal.bufferEvents]?.list, let subscribed = decl.values[ordinal: Ordinal.events]?.list,
           !buffered.allSatisfy(subscribed.contains) {
            return nil
        }
        return DesiredWebhook(
            id: decl.id, attributes: decl.values, sensitiveHeaders: decl.headers.sensitive,
            secretTemplates: SecretTemplates(secretKey: decl.secretTemplate, headers: decl.headers.templates, url: decl.urlTemplate),
            inheritedAttributes: inherited,
            location: SourceLocation(file: path, line: decl.mark.line, column: decl.mark.column))
    }
}

/// Keys as strings (for `switch`) and as bytes (for matching).
struct KeyTable {
    let names: [String]
    let bytes: [[UInt8]]

    init(_ names: [String]) {
        self.names = names
        bytes = names.map { Array($0.utf8) }
    }

    subscript(index: Int) -> String { names[index] }
}

/// libyaml's events one at a time, the current one readable in place (its bytes are libyaml's
/// until the next).
/// The event and the flag live behind pointers, not in stored properties: no exclusivity check on
/// every access of the hottest loop.
private final class EventReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let current: UnsafeMutablePointer<yaml_event_t>
    private let holding: UnsafeMutablePointer<Bool>

    /// `bytes` must outlive the reader.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        parser = .allocate(capacity: 1)
        current = .allocate(capacity: 1)
        current.initialize(to: yaml_event_t())
        holding = .allocate(capacity: 1)
        holding.initialize(to: false)
        yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress ?? UnsafePointer(bitPattern: 1), bytes.count)
    }

    deinit {
        if holding.pointee { yaml_event_delete(current) }
        yaml_parser_delete(parser)
        parser.deallocate()
        current.deallocate()
        holding.deallocate()
    }

    private var event: yaml_event_t { current.pointee }

    /// Moves to the next event; false on a syntax error (the tree decoder reports it).
    func next() -> Bool {
        if holding.pointee { yaml_event_delete(current) }
        holding.pointee = yaml_parser_parse(parser, current) == 1
        return holding.pointee
    }

    var type: yaml_event_type_t { current.pointee.type }

    var mark: Mark { Mark(line: Int(current.pointee.start_mark.line) + 1, column: Int(current.pointee.start_mark.column) + 1) }

    /// A collection start or scalar without anchor or tag (the tree decoder handles those).
    var plainCollection: Bool {
        switch event.type {
        case YAML_MAPPING_START_EVENT: event.data.mapping_start.anchor == nil && event.data.mapping_start.tag == nil
        case YAML_SEQUENCE_START_EVENT: event.data.sequence_start.anchor == nil && event.data.sequence_start.tag == nil
        case YAML_SCALAR_EVENT: event.data.scalar.anchor == nil && event.data.scalar.tag == nil
        default: false
        }
    }

    private var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: current.pointee.data.scalar.value, count: Int(current.pointee.data.scalar.length))
    }

    /// The scalar's bytes equal `other`'s.
    private func bytesEqual(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        let b = bytes
        guard b.count == other.count else { return false }
        guard let base = b.baseAddress, let otherBase = other.baseAddress else { return b.isEmpty }
        return memcmp(base, otherBase, b.count) == 0
    }

    var isPlainScalar: Bool { event.type == YAML_SCALAR_EVENT && event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE }

    /// A plain scalar YAML reserves for null.
    var isNull: Bool {
        guard isPlainScalar else { return false }
        let b = bytes
        switch b.count {
        case 0: return true
        case 1: return b[0] == UInt8(ascii: "~")
        case 4: return b.elementsEqual("null".utf8) || b.elementsEqual("Null".utf8) || b.elementsEqual("NULL".utf8)
        default: return false
        }
    }

    /// The scalar holds this byte.
    func scalarContains(_ byte: UInt8) -> Bool {
        let b = bytes
        guard let base = b.baseAddress, !b.isEmpty else { return false }
        return memchr(base, Int32(byte), b.count) != nil
    }

    /// The scalar's bytes are `text`'s.
    func scalarIs(_ text: String) -> Bool {
        var text = text
        return text.withUTF8(bytesEqual)
    }

    func scalarEquals(_ text: StaticString) -> Bool {
        bytesEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The index in `keys` of a plain, untagged scalar key; nil for anything else.
    func plainKey(_ keys: KeyTable) -> Int? {
        guard event.type == YAML_SCALAR_EVENT, plainCollection, isPlainScalar else { return nil }
        for index in keys.bytes.indices where keys.bytes[index].withUnsafeBufferPointer(bytesEqual) {
            return index
        }
        return nil
    }

    /// A scalar's text whatever its style, untagged and not null; nil for anything else.
    func scalarString() -> String? {
        guard event.type == YAML_SCALAR_EVENT, plainCollection, !isNull, bytes.count <= YAMLLimits.standard.maxScalarBytes else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A scalar's text even when null-like (a header name), untagged.
    func rawString() -> String? {
        guard event.type == YAML_SCALAR_EVENT, plainCollection, bytes.count <= YAMLLimits.standard.maxScalarBytes else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Plain `true` or `false`.
    func plainBool() -> Bool? {
        guard event.type == YAML_SCALAR_EVENT, plainCollection, isPlainScalar else { return nil }
        if scalarEquals("true") { return true }
        if scalarEquals("false") { return false }
        return nil
    }

    /// Plain decimal digits, without sign.
    func plainInteger() -> Int? {
        guard event.type == YAML_SCALAR_EVENT, plainCollection, isPlainScalar else { return nil }
        let b = bytes
        guard !b.isEmpty, b.count <= 18 else { return nil }
        var value = 0
        for byte in b {
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    /// The event name this scalar spells, from the table (no string made), and whether it is
    /// for project webhooks only.
    func knownEvent() -> (String, projectOnly: Bool)? {
        for index in Self.eventBytes.indices where Self.eventBytes[index].withUnsafeBufferPointer(bytesEqual) {
            return (EventNames.all[index], index >= EventNames.configScope.count)
        }
        return nil
    }

    private static let eventBytes: [[UInt8]] = EventNames.all.map { Array($0.utf8) }
}
