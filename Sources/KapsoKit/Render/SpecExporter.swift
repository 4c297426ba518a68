/// Writes the server's state as a spec file that kapsoctl's own `validate` accepts.
///
/// - Secrets are never written: `secret_key`, the values of credential-like headers, the password
///   (or lone credential) of a URL's userinfo and the values of credential-like query parameters
///   become `${VAR}` placeholders, listed in a comment at the top. Variable names are built from
///   the config's name, the URL's host and path and the field — never from a value that is secret.
/// - An event name kapsoctl does not know but that is well formed (Kapso added it) is declared in
///   `extra_events`, so the webhook keeps it.
/// - A server value that the spec rules cannot express (a malformed event name, a URL with
///   control characters or plain http, a header value with a line break ...) is left out, and
///   reported: the exported spec is checked by the spec decoder itself, and what it rejects is
///   dropped (a field, which then stays unmanaged; a whole webhook when its URL is the problem)
///   until it passes.
public enum SpecExporter {
    /// One scope to export: a legacy config, or a Platform phone number or the project.
    public struct Config: Sendable {
        /// Its id as the server lists it.
        public var scope: WebhookScope
        public var name: String?
        /// In the server's order (most recent first).
        public var webhooks: [ServerWebhook]

        public init(scope: WebhookScope, name: String?, webhooks: [ServerWebhook]) {
            self.scope = scope
            self.name = name
            self.webhooks = webhooks
        }

        /// A legacy config.
        public init(id: String, name: String?, webhooks: [ServerWebhook]) {
            self.init(scope: .config(id), name: name, webhooks: webhooks)
        }
    }

    /// An environment variable the exported spec reads, and what it holds.
    public struct Variable: Sendable, Equatable {
        public var name: String
        public var purpose: String
        /// The value the server returned, for callers that want to check it; never written out.
        public var serverValue: String?
    }

    /// Something the server has that the spec cannot express: left out of the export.
    public struct Omission: Sendable, Equatable, CustomStringConvertible {
        public var scope: WebhookScope
        public var webhookID: String?
        /// The attribute left out, or nil when the whole webhook (or config) is.
        public var field: String?
        /// Why, in the spec decoder's words.
        public var reason: String

        public var description: String {
            let what = field.map { "'\($0)' of webhook \(webhookID ?? "")" } ?? webhookID.map { "webhook \($0)" } ?? "all of it"
            return "\(scope): \(what) left out: \(reason)"
        }
    }

    public struct Export: Sendable {
        public var yaml: String
        public var variables: [Variable]
        public var omissions: [Omission]
    }

    public static func export(_ configs: [Config], source: String) -> Export {
        let sorted = configs.sorted { $0.scope < $1.scope }
        var left = Set<Part>()
        var omissions: [Omission] = []
        // Each round drops at least one part; bounded by the parts there are.
        while true {
            // Which webhooks share each secret value decides the variables' names: found by a first
            // rendering, then named by a second.
            let uses = render(sorted, source: source, leaving: left, sharing: [:]).uses
            let draft = render(sorted, source: source, leaving: left, sharing: uses)
            let problems = check(draft)
            guard !problems.isEmpty else { return Export(yaml: draft.yaml, variables: draft.variables, omissions: omissions) }
            var dropped = false
            for (line, reason) in problems {
                guard let owner = draft.owners[line], left.insert(owner).inserted else { continue }
                dropped = true
                let config = sorted[owner.config]
                let hooks = Array(config.webhooks.reversed())
                omissions.append(Omission(scope: config.scope, webhookID: owner.webhook.map { hooks[$0].id },
                                          field: owner.field, reason: HumanText.escape(reason)))
            }
            if !dropped {
                // A problem no part owns (should not happen): leave out the configs that hold one.
                for (line, reason) in problems {
                    let config = draft.owners[line]?.config ?? 0
                    if left.insert(Part(config: config, webhook: nil, field: nil)).inserted {
                        omissions.append(Omission(scope: sorted[config].scope, webhookID: nil, field: nil, reason: HumanText.escape(reason)))
                    }
                }
                if left.count > 10_000_000 { return Export(yaml: draft.yaml, variables: draft.variables, omissions: omissions) }
            }
        }
    }

    /// A config (`webhook` nil), a webhook (`field` nil), or one attribute of a webhook.
    struct Part: Hashable {
        var config: Int
        var webhook: Int?
        var field: String?

        func covers(_ other: Part) -> Bool {
            config == other.config && (webhook == nil || (webhook == other.webhook && (field == nil || field == other.field)))
        }
    }

    struct Draft {
        var yaml: String
        var variables: [Variable]
        /// The part each line (1-based) belongs to.
        var owners: [Int: Part]
        /// The webhooks (config, webhook) that hold each secret value in each role.
        var uses: [SecretValue: Set<Part>]
    }

    /// A secret value in a role (`SECRET`, a header's name, `URL PASSWORD` ...): webhooks whose
    /// server values are equal in one role share a variable.
    struct SecretValue: Hashable {
        var role: [String]
        var value: String
    }

    /// The spec decoder's verdict on a draft: problems by line. Placeholders get a value that is
    /// valid everywhere they can stand.
    private static func check(_ draft: Draft) -> [(Int, String)] {
        let environment = Dictionary(uniqueKeysWithValues: draft.variables.map { ($0.name, "x") })
        do {
            _ = try SpecLoader.load(sources: [SourceText(path: "export.yaml", bytes: Array(draft.yaml.utf8))], environment: environment)
            return []
        } catch {
            return error.diagnostics.map { ($0.line, $0.message) }
        }
    }

    private static func render(_ configs: [Config], source: String, leaving left: Set<Part>,
                               sharing: [SecretValue: Set<Part>]) -> Draft {
        var variables: [Variable] = []
        var taken = Set<String>()
        var uses: [SecretValue: Set<Part>] = [:]
        var shared: [SecretValue: String] = [:]
        /// The variable for a secret of webhook `w` of config `c`: its own (named after the
        /// webhook's place), or — when other webhooks hold the same value in the same role — one
        /// they share, named after the config they are all in, or the role alone.
        func variable(_ c: Int, _ w: Int, place: [[String]], role: [String], what: String, where where_: String, value: String?) -> String {
            let key = value.map { SecretValue(role: role.map { $0.uppercased() }, value: $0) }
            if let key { uses[key, default: []].insert(Part(config: c, webhook: w)) }
            let group = key.flatMap { sharing[$0] } ?? []
            guard let key, group.count > 1 else {
                return name(place.map { $0 + role }, purpose: "\(what) of \(where_)", value: value)
            }
            if let name = shared[key] { return name }
            let configsUsed = Set(group.map(\.config))
            let named = configsUsed.count == 1
                ? name([[label(configs[c])] + role], purpose: "\(what) of \(group.count) webhooks in \(configs[c].scope)", value: value)
                : name([role], purpose: "\(what) of \(group.count) webhooks in \(configsUsed.count) \(configs[c].scope.api == .legacy ? "configs" : "scopes")", value: value)
            shared[key] = named
            return named
        }
        /// The first of `candidates` (shortest first) that no other variable has, else the last
        /// with a number.
        func name(_ candidates: [[String]], purpose: String, value: String?) -> String {
            let bases = candidates.map { "KAPSO_" + $0.map(slug).filter { !$0.isEmpty }.joined(separator: "_") }.map { String($0.prefix(80)) }
            if let free = bases.first(where: { !taken.contains($0) }) {
                taken.insert(free)
                variables.append(Variable(name: free, purpose: purpose, serverValue: value))
                return free
            }
            let base = bases.last ?? "KAPSO"
            var name = base
            var suffix = 2
            while taken.contains(name) {
                name = String(base.prefix(76)) + "_\(suffix)"
                suffix += 1
            }
            taken.insert(name)
            variables.append(Variable(name: name, purpose: purpose, serverValue: value))
            return name
        }
        func isLeft(_ part: Part) -> Bool { left.contains { $0.covers(part) } }

        let api = configs.first?.scope.api ?? .legacy
        let table = Attribute.table(for: api)
        var body: [(String, Part?)] = [("version: 1", nil)]
        let kept = configs.indices.filter { !isLeft(Part(config: $0)) }
        let numbers = kept.filter { configs[$0].scope != .project }
        switch api {
        case .legacy: body.append((kept.isEmpty ? "configs: []" : "configs:", nil))
        case .platform:
            body.append(("api: platform", nil))
            body.append((numbers.isEmpty ? "phone_numbers: []" : "phone_numbers:", nil))
        }
        // Event names the server uses that kapsoctl does not know yet (Kapso added them since):
        // declared, so that the export validates; a malformed one is left to the check below.
        let known = Set(api == .legacy ? EventNames.configScope : EventNames.all)
        let newEvents = Set(kept.flatMap { configs[$0].webhooks.flatMap { $0.events ?? [] } })
            .filter { !known.contains($0) && EventNames.isWellFormed($0) }.sorted()
        if !newEvents.isEmpty {
            body.insert(("extra_events: \(list(newEvents))", nil), at: body.count - 1)
        }
        // Numbers (or configs) first, then the project block.
        for c in numbers + kept.filter({ configs[$0].scope == .project }) {
            let config = configs[c]
            let configPart = Part(config: c)
            // A list entry's keys at 4 spaces; the project block's at 2.
            let pad = config.scope == .project ? "  " : "    "
            switch config.scope {
            case .config(let id): body.append(("  - whatsapp_config_id: \(plain(id))", configPart))
            case .phoneNumber(let id): body.append(("  - phone_number_id: \(quoted(id))", configPart))
            case .project: body.append(("project:", configPart))
            }
            if let name = config.name, config.scope != .project, !isLeft(Part(config: c, webhook: nil, field: "name")) {
                body.append(("\(pad)name: \(quoted(name))", Part(config: c, webhook: nil, field: "name")))
            }
            let hooks = Array(config.webhooks.reversed())
            let shown = hooks.indices.filter { !isLeft(Part(config: c, webhook: $0)) }
            if shown.isEmpty {
                body.append(("\(pad)webhooks: []", configPart))
                continue
            }
            body.append(("\(pad)webhooks:", configPart))
            var urlCounts: [String: Int] = [:]
            for w in shown { urlCounts[URLIdentity.normalized(hooks[w].url ?? ""), default: 0] += 1 }
            let label = label(config)
            for w in shown {
                let hook = hooks[w]
                let hookPart = Part(config: c, webhook: w)
                func field(_ name: String) -> Part? {
                    let part = Part(config: c, webhook: w, field: name)
                    return isLeft(part) ? nil : part
                }
                let url = hook.url ?? ""
                let shared = urlCounts[URLIdentity.normalized(url), default: 0] > 1
                // Names as short as they can be and stay apart: the scope's word alone, then with
                // the URL's last path segment (or host), then its host and path, then the id.
                let word = lastWord(url)
                var place = [[label], [label, word], [label, hostAndPath(url)]]
                if shared { place.append([label, hostAndPath(url), String(hook.id.prefix(8))]) }
                let where_ = "\(URLDisplay.masked(url)) in \(config.scope)"
                let exported = ExportedURL(url) { role, value in
                    variable(c, w, place: place, role: ["URL", role], what: "\(role.lowercased()) in the URL", where: where_, value: value)
                }
                body.append(("\(pad)  - url: \(exported.text)", hookPart))
                // Two webhooks with one URL can only be told apart by id.
                if shared { body.append(("\(pad)    id: \(plain(hook.id))", hookPart)) }
                for attribute in table where attribute.kind != .url {
                    // With buffering off the other buffer settings do nothing (and the server's
                    // default buffer_events may name an event the webhook does not subscribe to):
                    // left unmanaged.
                    guard let part = field(attribute.name), !(attribute.onlyWhileBuffering && hook.bufferEnabled != true) else { continue }
                    // A `meta` webhook takes none of these (the server may still report its defaults):
                    // written, they would only be refused and reported.
                    if hook[.kind]?.string == "meta" && Attribute.notForMeta.contains(attribute) { continue }
                    let key = "\(pad)    \(attribute.name):"
                    let value = hook[attribute]
                    switch attribute.kind {
                    case .url:
                        continue
                    case .secret:
                        let name = variable(c, w, place: place, role: ["SECRET"], what: attribute.name, where: where_, value: value?.string)
                        body.append(("\(key) \"${\(name)}\"", part))
                    case .events(let buffered):
                        guard let events = value?.list else { continue }
                        // An empty subscription cannot be written; buffered events outside the
                        // subscription break the spec's rule: both stay unmanaged.
                        if buffered ? Set(events).isSubset(of: hook.events ?? []) : !events.isEmpty {
                            body.append(("\(key) \(list(events))", part))
                        }
                    case .boolean, .integer:
                        if let value { body.append(("\(key) \(FieldDisplay.text(value))", part)) }
                    case .choice:
                        if let text = value?.string { body.append(("\(key) \(quoted(text))", part)) }
                    case .headers:
                        let headers = value?.map ?? [:]
                        if headers.isEmpty {
                            body.append(("\(key) {}", part))
                            continue
                        }
                        body.append((key, part))
                        for (name, text) in headers.sorted(by: { $0.key < $1.key }) {
                            if Sensitivity.isSensitiveHeaderName(name) {
                                let headerVar = variable(c, w, place: place, role: [name], what: "header \(name)", where: where_, value: text)
                                body.append(("\(pad)      \(quoted(name)): \"${\(headerVar)}\"", part))
                            } else {
                                body.append(("\(pad)      \(quoted(name)): \(quoted(text))", part))
                            }
                        }
                    }
                }
            }
        }
        var header = ["# Exported by kapsoctl from \(HumanText.escape(source))."]
        if !variables.isEmpty {
            header.append("# Secrets are not exported: set these environment variables to their values before planning.")
            let width = variables.map(\.name.count).max() ?? 0
            for v in variables {
                header.append("#   \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(HumanText.escape(v.purpose))")
            }
        }
        var owners: [Int: Part] = [:]
        for (offset, line) in body.enumerated() {
            if let part = line.1 { owners[header.count + offset + 1] = part }
        }
        return Draft(yaml: (header + body.map(\.0)).joined(separator: "\n") + "\n", variables: variables, owners: owners, uses: uses)
    }

    /// A scope's word in variable names: its name, else its id (a config's first 8 characters).
    private static func label(_ config: Config) -> String {
        switch config.scope {
        case .config(let id): config.name ?? String(id.prefix(8))
        case .phoneNumber(let id): config.name ?? id
        case .project: "PROJECT"
        }
    }

    /// A YAML double-quoted scalar (JSON escaping) in which a literal `${` is written `$${`.
    static func quoted(_ text: String) -> String {
        FieldDisplay.quoted(text.replacingOccurrences(of: "${", with: "$${"))
    }

    /// An id as a plain scalar when it is letters, digits and dashes (a UUID), else quoted.
    private static func plain(_ id: String) -> String {
        !id.isEmpty && id.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 < 0x80 && Character(UnicodeScalar($0)).isLetter) || ($0 >= 48 && $0 <= 57) }
            ? id : quoted(id)
    }

    private static func list(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ", ") + "]"
    }

    /// `api.acme.com/hooks/whatsapp` for `https://user:pw@api.acme.com/hooks/whatsapp?token=1`:
    /// no userinfo, query or fragment, which may hold secrets.
    private static func hostAndPath(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://") { text = String(text[scheme.upperBound...]) }
        if let end = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<end]) }
        let authorityEnd = text.firstIndex(of: "/") ?? text.endIndex
        if let at = text[..<authorityEnd].lastIndex(of: "@") { text = String(text[text.index(after: at)...]) }
        return text
    }

    /// A URL's last path segment that holds a letter (`whatsapp` of `https://api.acme.com/hooks/whatsapp`),
    /// else its host's first label that is not `www`, `api` or `hooks` (`acme`).
    private static func lastWord(_ url: String) -> String {
        let text = hostAndPath(url)
        let parts = text.split(separator: "/").map(String.init)
        if let segment = parts.dropFirst().last(where: { $0.contains { $0.isLetter } }) { return segment }
        let labels = (parts.first ?? "").split(separator: ".").map(String.init)
        return labels.first { !["www", "api", "hooks", "webhooks"].contains($0.lowercased()) } ?? labels.first ?? ""
    }

    /// Upper-case letters and digits, runs of anything else as one `_`.
    static func slug(_ text: String) -> String {
        var out = ""
        var gap = false
        for scalar in text.uppercased().unicodeScalars {
            if scalar.isASCII && (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) {
                if gap && !out.isEmpty { out += "_" }
                out.unicodeScalars.append(scalar)
                gap = false
            } else {
                gap = true
            }
        }
        return out
    }
}
