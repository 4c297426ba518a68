/// Scopes (configs, phone numbers, the project) and their webhooks.
extension SpecDecoder {
    enum ScopeKind { case config, phoneNumber, project }

    /// `configs` or `phone_numbers`: a list of scopes.
    mutating func scopeList(_ kind: ScopeKind, _ what: String) throws(YAMLStop) -> [ScopeDecl] {
        guard self.kind == .sequenceStart else {
            try refuse(what, mustBe: "a list")
            return []
        }
        var out: [ScopeDecl] = []
        while true {
            try advance()
            if self.kind == .end { return out }
            if let scope = try scopeEntry(kind) { out.append(scope) }
        }
    }

    /// A config, a phone number, or the project block, with its webhooks. The scope's id may be
    /// written before or after its webhooks.
    mutating func scopeEntry(_ kind: ScopeKind) throws(YAMLStop) -> ScopeDecl? {
        let (what, context, this, keys) = switch kind {
        case .config: ("each entry of 'configs'", "a config", "this config", SpecKeys.config)
        case .phoneNumber: ("each entry of 'phone_numbers'", "a phone number", "this phone number", SpecKeys.phoneNumber)
        case .project: ("'project'", "'project'", "'project'", SpecKeys.project)
        }
        guard self.kind == .mappingStart else {
            try refuse(what, mustBe: "a mapping")
            return nil
        }
        let mapMark = events.mark
        var scope: WebhookScope? = kind == .project ? .project : nil
        var idMark = mapMark
        var name: Located<String>?
        var prune: Located<Bool>?
        var webhooks: [DesiredWebhook] = []
        var ignore: [IgnorePattern] = []
        var seen = SpecKeys.Seen()
        while true {
            try advance()
            if self.kind == .end { break }
            let keyMark = events.mark
            let key = events.index(in: keys)
            let unknown = key == nil ? events.text : ""
            try advance()
            guard let key else {
                try skip()
                unknownKey(unknown, at: keyMark, in: context, allowed: keys.names)
                continue
            }
            seen.insert(key)
            switch keys[key] {
            case "whatsapp_config_id":
                // Kept as written: it goes into request paths, and a server need not fold its case.
                if let id = try uuid("'whatsapp_config_id'", keepCase: true) {
                    scope = .config(id.value)
                    idMark = id.mark
                }
            case "phone_number_id":
                if let id = try phoneNumberID() {
                    scope = .phoneNumber(id.value)
                    idMark = id.mark
                }
            case "name":
                name = try string("'name'").map { Located(value: $0.value, mark: $0.mark) }
            case "prune":
                prune = try bool("'prune'")
            case "webhooks":
                webhooks = try webhookList(project: kind == .project)
            default:
                ignore = try ignorePatterns()
            }
        }
        switch kind {
        case .config where !seen.contains("whatsapp_config_id", of: keys):
            error(mapMark, "missing required key 'whatsapp_config_id' in this config")
        case .phoneNumber where !seen.contains("phone_number_id", of: keys):
            error(mapMark, "missing required key 'phone_number_id' in this phone number (Meta's id of the number, digits)")
        default:
            break
        }
        if !seen.contains("webhooks", of: keys) {
            error(mapMark, "missing required key 'webhooks' in \(this) (use 'webhooks: []' for none)")
        }
        guard let scope else { return nil }
        return ScopeDecl(scope: scope, idMark: idMark, name: name, prune: prune, webhooks: webhooks, mark: mapMark, ignore: ignore)
    }

    private mutating func webhookList(project: Bool) throws(YAMLStop) -> [DesiredWebhook] {
        guard kind == .sequenceStart else {
            try refuse("'webhooks'", mustBe: "a list")
            return []
        }
        var out: [DesiredWebhook] = []
        while true {
            try advance()
            if kind == .end { return out }
            if let draft = try webhook(isDefaults: false), let hook = finish(draft, project: project) {
                out.append(hook)
            }
        }
    }

    // MARK: - A webhook

    /// A webhook, or the `defaults` block: every attribute read by its kind. Positions go into `marks`.
    mutating func webhook(isDefaults: Bool) throws(YAMLStop) -> WebhookDraft? {
        guard kind == .mappingStart else {
            try refuse(isDefaults ? "'defaults'" : "each entry of 'webhooks'", mustBe: "a mapping")
            return nil
        }
        var draft = WebhookDraft(mark: events.mark)
        let keys = SpecKeys.WebhookKeys.of(context.api, defaults: isDefaults)
        var hasURL = false
        while true {
            try advance()
            if kind == .end { break }
            let keyMark = events.mark
            let key = events.index(in: keys.names)
            let unknown = key == nil ? events.text : ""
            try advance()
            guard let key else {
                try skip()
                if let reason = keys.unsupported[unknown] {
                    error(keyMark, reason)
                } else {
                    unknownKey(unknown, at: keyMark, in: isDefaults ? "'defaults'" : "a webhook", allowed: keys.names.names)
                }
                continue
            }
            let ordinal = keys.ordinals[key]
            if ordinal < 0 {
                draft.id = try uuid("'id'")?.value
            } else {
                hasURL = hasURL || ordinal == DecodingRows.url
                try declare(ordinal, into: &draft)
            }
        }
        if !isDefaults && !hasURL {
            error(draft.mark, "missing required key 'url' in this webhook")
        }
        return draft
    }

    /// One attribute's value, by its kind's spec rules; left undeclared after a problem is reported.
    private mutating func declare(_ ordinal: Int, into draft: inout WebhookDraft) throws(YAMLStop) {
        let what = DecodingRows.quotedNames[ordinal]
        let mark = events.mark
        let value: FieldValue
        switch DecodingRows.kinds[ordinal] {
        case .url:
            guard let url = try string(what) else { return }
            if !url.unresolved, let problem = SpecText.urlProblem(url.value) {
                error(url.mark, problem)
                return
            }
            value = .string(url.value)
            draft.urlTemplate = url.fromEnvironment ? url.template : nil
        case .secret:
            guard let secret = try string(what) else { return }
            guard !secret.value.isEmpty else {
                error(secret.mark, "\(what) must not be empty")
                return
            }
            value = .string(secret.value)
            draft.secretTemplate = secret.template
        case .events(let buffered):
            // Taken out and put back (not copied): the list's storage is reused from webhook to webhook.
            var items: [Mark] = []
            if buffered { swap(&items, &marks.bufferEvents) } else { swap(&items, &marks.events) }
            let names = try eventList(what, buffered: buffered, marks: &items)
            if buffered { swap(&items, &marks.bufferEvents) } else { swap(&items, &marks.events) }
            guard let names else { return }
            value = .list(names)
        case .boolean:
            guard let flag = try bool(what) else { return }
            value = .bool(flag.value)
        case .integer(let range):
            guard let number = try integer(what, in: range) else { return }
            value = .int(number.value)
        case .choice(let words):
            guard let word = try choice(what, words) else { return }
            value = .string(word.value)
        case .headers:
            guard let headers = try headers() else { return }
            draft.headers = headers
            value = headers.value
        }
        draft.values[ordinal: ordinal] = value
        draft.declared.insert(ordinal: ordinal)
        marks.attributes[ordinal] = mark
    }

    /// A webhook's headers (`null` is none). A block spelled as the last one read (name for name,
    /// value for value, as written) is that block again: no string is made for it and no variable
    /// expanded.
    private mutating func headers() throws(YAMLStop) -> HeaderBundle? {
        if kind == .scalar && events.isNull { return .empty }
        guard kind == .mappingStart else {
            try refuse("'headers'", mustBe: "a mapping")
            return nil
        }
        var candidate = caches.lastOwnHeaders.flatMap { $0.reusable ? $0 : nil }
        var matched = 0
        var list: [DeclaredHeader] = []
        // The names met and where, for duplicates (storage reused from block to block).
        var seen: [(name: String, mark: Mark)] = []
        swap(&seen, &caches.headerNames)
        seen.removeAll(keepingCapacity: true)
        defer { swap(&seen, &caches.headerNames) }
        var valid = true
        while true {
            try advance()
            if kind == .end { break }
            let keyMark = events.mark
            // The block so far is the last one's beginning, and this key is its next header's.
            if let known = candidate, matched < known.list.count, events.scalarIs(known.list[matched].name) {
                let entry = known.list[matched]
                seen.append((entry.name, keyMark))
                try advance()
                if kind == .scalar, !events.isNull, events.scalarIs(entry.template) {
                    matched += 1
                    continue
                }
                list = Array(known.list.prefix(matched))
                candidate = nil
                if let header = try header(named: entry.name) { list.append(header) } else { valid = false }
                continue
            }
            if let known = candidate {
                list = Array(known.list.prefix(matched))
                candidate = nil
            }
            let name = events.text
            try advance()
            guard SpecText.isHeaderToken(name) else {
                try skip()
                error(keyMark, "'\(SpecText.excerpt(name))' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)")
                valid = false
                continue
            }
            if let first = seen.first(where: { Self.sameHeaderName($0.name, name) }) {
                try skip()
                error(keyMark, "duplicate header '\(name)' (header names are case-insensitive); first at line \(first.mark.line), column \(first.mark.column)")
                valid = false
                continue
            }
            seen.append((name, keyMark))
            if let header = try header(named: name) { list.append(header) } else { valid = false }
        }
        guard valid else { return nil }
        if let known = candidate {
            if matched == known.list.count { return known }
            list = Array(known.list.prefix(matched))
        }
        let made = caches.bundle(list)
        caches.lastOwnHeaders = made
        return made
    }

    /// A header's value (the current node): a string without control characters.
    private mutating func header(named name: String) throws(YAMLStop) -> DeclaredHeader? {
        guard let value = try string("header '\(name)'") else { return nil }
        if SpecText.hasControlCharacter(value.value) {
            error(value.mark, "header '\(name)' must not contain line breaks or other control characters (a line break would add a header of its own to every delivery)")
            return nil
        }
        let sensitive = value.fromEnvironment || Sensitivity.isSensitiveHeaderName(name)
        return DeclaredHeader(name: name, value: value.value, template: value.template, sensitive: sensitive, unresolved: value.unresolved)
    }

    /// Header names equal but for ASCII case (names are token characters: ASCII only).
    static func sameHeaderName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 97 && (x | 0x20) <= 122)
        }
    }
}
