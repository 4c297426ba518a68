/// A header as declared, before defaults are merged.
struct HeaderDecl {
    var name: String
    var value: String
    /// The value as written, `${VAR}` references unexpanded.
    var template: String
    var sensitive: Bool
    var mark: Mark
}

/// A webhook (or the defaults block) as declared in one file: every field optional, with positions.
struct WebhookDecl {
    var mark: Mark
    var id: Located<String>?
    var url: Located<String>?
    /// `url` as written, when it uses `${VAR}`.
    var urlTemplate: String?
    var secretKey: Located<String>?
    /// `secret_key` as written, `${VAR}` references unexpanded.
    var secretTemplate: String?
    var events: Located<[Located<String>]>?
    var active: Located<Bool>?
    var headers: Located<[HeaderDecl]>?
    var bufferEnabled: Located<Bool>?
    var bufferWindowSeconds: Located<Int>?
    var maxBufferSize: Located<Int>?
    var bufferEvents: Located<[Located<String>]>?
    var inactivityMinutes: Located<Int>?
    /// Attributes this webhook takes from `defaults` (set by `merged(over:)`).
    var inherited: Set<String> = []

    /// True when the attribute `name` is declared.
    func has(_ name: String) -> Bool {
        switch name {
        case "url": url != nil
        case "secret_key": secretKey != nil
        case "events": events != nil
        case "active": active != nil
        case "headers": headers != nil
        case "buffer_enabled": bufferEnabled != nil
        case "buffer_window_seconds": bufferWindowSeconds != nil
        case "max_buffer_size": maxBufferSize != nil
        case "buffer_events": bufferEvents != nil
        case "inactivity_minutes": inactivityMinutes != nil
        default: false
        }
    }

    /// `self` over `defaults`: own fields win; headers merge name by name (case-insensitively).
    func merged(over defaults: WebhookDecl?) -> WebhookDecl {
        guard let defaults else { return self }
        var out = self
        out.inherited = Set(WebhookAttributes.names.filter { !has($0) && defaults.has($0) })
        out.secretKey = secretKey ?? defaults.secretKey
        out.secretTemplate = secretKey == nil ? defaults.secretTemplate : secretTemplate
        out.events = events ?? defaults.events
        out.active = active ?? defaults.active
        out.bufferEnabled = bufferEnabled ?? defaults.bufferEnabled
        out.bufferWindowSeconds = bufferWindowSeconds ?? defaults.bufferWindowSeconds
        out.maxBufferSize = maxBufferSize ?? defaults.maxBufferSize
        out.bufferEvents = bufferEvents ?? defaults.bufferEvents
        out.inactivityMinutes = inactivityMinutes ?? defaults.inactivityMinutes
        if let base = defaults.headers {
            guard let own = headers else {
                out.headers = base
                return out
            }
            let ownNames = Set(own.value.map { $0.name.lowercased() })
            out.headers = Located(value: base.value.filter { !ownNames.contains($0.name.lowercased()) } + own.value,
                                  mark: own.mark)
        }
        return out
    }
}

/// A config entry as declared in one file.
struct ConfigDecl {
    var id: Located<String>
    var name: Located<String>?
    var prune: Located<Bool>?
    var webhooks: [DesiredWebhook]
    var mark: Mark
}

/// What one file declares. (Only `api: legacy` is supported yet, so the API is not carried.)
struct SpecFileContent {
    var configs: [ConfigDecl]
    /// Every value substituted from the environment.
    var secretValues: Set<String>
}

/// Decodes one file's node tree into declarations, checking every rule of the spec format and
/// collecting all problems rather than stopping at the first.
struct SpecFileDecoder {
    let source: SourceText
    let environment: [String: String]
    private(set) var diagnostics: [SpecDiagnostic] = []
    /// Every value substituted from the environment, so that outputs can mask it wherever it appears.
    var secretValues = Set<String>()

    init(source: SourceText, environment: [String: String]) {
        self.source = source
        self.environment = environment
    }

    mutating func error(_ mark: Mark, _ message: String) {
        diagnostics.append(source.diagnostic(at: mark, message))
    }

    static let topLevelKeys = ["version", "api", "defaults", "configs"]
    static let configKeys = ["whatsapp_config_id", "name", "prune", "webhooks"]
    static let webhookKeys = ["id"] + WebhookAttributes.names
    static let defaultsKeys = WebhookAttributes.names.filter { $0 != "url" }
    static let webhookUnsupported = Dictionary(uniqueKeysWithValues: ["kind", "payload_version", "phone_number_id", "project_id"].map {
        ($0, "'\($0)' is a Platform API attribute; it is not available with 'api: legacy'")
    })
    static let defaultsUnsupported = webhookUnsupported.merging([
        "url": "'url' cannot be a default; every webhook names its own",
        "id": "'id' cannot be a default; it pins one webhook",
    ]) { $1 }

    mutating func decodeFile(_ root: YAMLNode) -> SpecFileContent? {
        guard case .mapping(let top) = root else {
            error(root.mark, "the top level must be a mapping starting with 'version: 1', not \(root.kindDescription)")
            return nil
        }
        let fields = fields(of: top, in: "the top level", allowed: Self.topLevelKeys, unsupported: [
            "phone_numbers": "'phone_numbers' belongs to 'api: platform', which this version of kapsoctl does not support yet",
            "project": "'project' belongs to 'api: platform', which this version of kapsoctl does not support yet",
        ], ignoreExtensions: true)

        if let version = fields["version"] {
            if let v = integer(version.value, "'version'", in: 1...Int.max), v.value != 1 {
                error(v.mark, "'version' must be 1 (the only spec version that exists)")
            }
        } else {
            error(top.mark, "missing required key 'version'; add 'version: 1'")
        }

        if let entry = fields["api"], let (text, _, _) = string(entry.value, "'api'") {
            switch APIGeneration(rawValue: text.value) {
            case .legacy: break
            case .platform:
                error(text.mark, "'api: platform' is not supported by this version of kapsoctl yet; use 'api: legacy'")
            case nil:
                error(text.mark, "'api' must be 'legacy' or 'platform', not '\(Self.excerpt(text.value))'")
            }
        }

        var defaults: WebhookDecl?
        if let entry = fields["defaults"] {
            defaults = webhook(entry.value, isDefaults: true)
        }

        var configs: [ConfigDecl] = []
        if let entry = fields["configs"] {
            if let list = sequence(entry.value, "'configs'") {
                for item in list.items {
                    if let config = config(item, defaults: defaults) { configs.append(config) }
                }
            }
        } else {
            error(top.mark, "missing required key 'configs' (a list of WhatsApp configs and their webhooks)")
        }
        return SpecFileContent(configs: configs, secretValues: secretValues)
    }

    /// The known pairs of a mapping, in source order, looked up by key. A linear search: these
    /// mappings have a dozen keys at most, and a dictionary per webhook cost more than it saved.
    struct Fields: Sequence {
        var entries: [YAMLEntry] = []

        subscript(key: String) -> YAMLEntry? { entries.first { $0.key.text == key } }

        func makeIterator() -> IndexingIterator<[YAMLEntry]> { entries.makeIterator() }
    }

    /// The known pairs of `mapping`. Unknown keys are reported, with a "did you mean" hint;
    /// keys in `unsupported` get their own explanation; with `ignoreExtensions`, `x-` keys are skipped.
    mutating func fields(of mapping: YAMLMapping, in context: String, allowed: [String],
                         unsupported: [String: String] = [:], ignoreExtensions: Bool = false) -> Fields {
        var out = Fields()
        for entry in mapping.entries {
            let key = entry.key.text
            if allowed.contains(key) {
                out.entries.append(entry)
            } else if ignoreExtensions && key.hasPrefix("x-") {
                continue
            } else if let reason = unsupported[key] {
                error(entry.key.mark, reason)
            } else {
                let hint = Suggestion.closest(to: key, in: allowed).map { "did you mean '\($0)'?" }
                    ?? "expected one of: \(allowed.joined(separator: ", "))"
                error(entry.key.mark, "unknown key '\(Self.excerpt(key))' in \(context); \(hint)")
            }
        }
        return out
    }

    mutating func config(_ node: YAMLNode, defaults: WebhookDecl?) -> ConfigDecl? {
        guard let map = mapping(node, "each entry of 'configs'") else { return nil }
        let fields = fields(of: map, in: "a config", allowed: Self.configKeys)
        var id: Located<String>?
        if let entry = fields["whatsapp_config_id"] {
            // Kept as written: it goes into request paths, and a server need not fold its case.
            id = uuid(entry.value, "'whatsapp_config_id'", keepCase: true)
        } else {
            error(map.mark, "missing required key 'whatsapp_config_id' in this config")
        }
        let name = fields["name"].flatMap { string($0.value, "'name'")?.0 }
        let prune = fields["prune"].flatMap { bool($0.value, "'prune'") }
        var webhooks: [DesiredWebhook] = []
        if let entry = fields["webhooks"] {
            if let list = sequence(entry.value, "'webhooks'") {
                for item in list.items {
                    if let decl = webhook(item, isDefaults: false), let hook = finish(decl.merged(over: defaults)) {
                        webhooks.append(hook)
                    }
                }
            }
        } else {
            error(map.mark, "missing required key 'webhooks' in this config (use 'webhooks: []' for none)")
        }
        guard let id else { return nil }
        return ConfigDecl(id: id, name: name, prune: prune, webhooks: webhooks, mark: map.mark)
    }

    mutating func webhook(_ node: YAMLNode, isDefaults: Bool) -> WebhookDecl? {
        let what = isDefaults ? "'defaults'" : "each entry of 'webhooks'"
        guard let map = mapping(node, what) else { return nil }
        let fields = isDefaults
            ? fields(of: map, in: "'defaults'", allowed: Self.defaultsKeys, unsupported: Self.defaultsUnsupported)
            : fields(of: map, in: "a webhook", allowed: Self.webhookKeys, unsupported: Self.webhookUnsupported)
        var decl = WebhookDecl(mark: map.mark)
        for entry in fields {
            let key = entry.key.text
            let value = entry.value
            let what = "'\(key)'"
            switch key {
            case "id": decl.id = uuid(value, what)
            case "url":
                if let (url, fromEnvironment, template) = string(value, what) {
                    if let problem = Self.urlProblem(url.value) {
                        error(url.mark, problem)
                    } else {
                        decl.url = url
                        decl.urlTemplate = fromEnvironment ? template : nil
                    }
                }
            case "secret_key":
                if let (secret, _, template) = string(value, what) {
                    if secret.value.isEmpty {
                        error(secret.mark, "'secret_key' must not be empty")
                    } else {
                        decl.secretKey = secret
                        decl.secretTemplate = template
                    }
                }
            case "events": decl.events = events(value, what, buffered: false)
            case "buffer_events": decl.bufferEvents = events(value, what, buffered: true)
            case "active": decl.active = bool(value, what)
            case "buffer_enabled": decl.bufferEnabled = bool(value, what)
            case "buffer_window_seconds": decl.bufferWindowSeconds = integer(value, what, in: 1...60)
            case "max_buffer_size": decl.maxBufferSize = integer(value, what, in: 1...100)
            case "inactivity_minutes": decl.inactivityMinutes = integer(value, what, in: 1...1440)
            case "headers": decl.headers = headers(value)
            default: break
            }
        }
        if !isDefaults && fields["url"] == nil {
            error(map.mark, "missing required key 'url' in this webhook")
        }
        return decl
    }

    /// Cross-field rules on a merged webhook, then the plain value the planner uses.
    mutating func finish(_ decl: WebhookDecl) -> DesiredWebhook? {
        if let bufferEvents = decl.bufferEvents, let events = decl.events {
            let subscribed = Set(events.value.map(\.value))
            for event in bufferEvents.value where !subscribed.contains(event.value) {
                error(event.mark, "buffer_events lists '\(event.value)', which is not in this webhook's 'events'")
            }
        }
        guard let url = decl.url else { return nil }
        var sensitive = Set<String>()
        var headers: [String: String]?
        var templates: [String: String] = [:]
        if let declared = decl.headers {
            var map: [String: String] = [:]
            for header in declared.value {
                map[header.name] = header.value
                if header.sensitive {
                    sensitive.insert(header.name.lowercased())
                    templates[header.name.lowercased()] = header.template
                }
            }
            headers = map
        }
        let attributes = WebhookAttributes(
            url: url.value, secretKey: decl.secretKey?.value, events: decl.events?.value.map(\.value),
            active: decl.active?.value, headers: headers, bufferEnabled: decl.bufferEnabled?.value,
            bufferWindowSeconds: decl.bufferWindowSeconds?.value, maxBufferSize: decl.maxBufferSize?.value,
            bufferEvents: decl.bufferEvents?.value.map(\.value), inactivityMinutes: decl.inactivityMinutes?.value)
        return DesiredWebhook(
            id: decl.id?.value, attributes: attributes, sensitiveHeaders: sensitive,
            secretTemplates: SecretTemplates(secretKey: decl.secretTemplate, headers: templates, url: decl.urlTemplate),
            inheritedAttributes: decl.inherited,
            location: SourceLocation(file: source.path, line: decl.mark.line, column: decl.mark.column))
    }

    mutating func events(_ node: YAMLNode, _ what: String, buffered: Bool) -> Located<[Located<String>]>? {
        guard let list = sequence(node, what) else { return nil }
        if !buffered && list.items.isEmpty {
            error(list.mark, "'events' must list at least one event")
            return nil
        }
        var out: [Located<String>] = []
        var seen: [String: Mark] = [:]
        var valid = true
        for item in list.items {
            guard case .scalar(let scalar) = item, !scalar.isNull else {
                error(item.mark, "each item of \(what) must be an event name, not \(item.kindDescription)")
                valid = false
                continue
            }
            let name = scalar.text
            if let first = seen[name] {
                error(scalar.mark, "duplicate event '\(Self.excerpt(name))' in \(what); first listed at line \(first.line), column \(first.column)")
                valid = false
            } else if EventNames.projectScope.contains(name) {
                error(scalar.mark, "event '\(name)' is only for project-scoped webhooks (Platform API); a WhatsApp config cannot subscribe to it")
                valid = false
            } else if !EventNames.configScope.contains(name) {
                error(scalar.mark, "unknown event '\(Self.excerpt(name))'\(Suggestion.hint(for: name, in: EventNames.configScope))")
                valid = false
            } else if buffered && name != EventNames.bufferable {
                error(scalar.mark, "only '\(EventNames.bufferable)' can be buffered, not '\(name)'")
                valid = false
            }
            seen[name] = seen[name] ?? scalar.mark
            out.append(Located(value: name, mark: scalar.mark))
        }
        return valid ? Located(value: out, mark: list.mark) : nil
    }

    mutating func headers(_ node: YAMLNode) -> Located<[HeaderDecl]>? {
        if case .scalar(let s) = node, s.isNull { return Located(value: [], mark: s.mark) }
        guard let map = mapping(node, "'headers'") else { return nil }
        var out: [HeaderDecl] = []
        var seen: [String: Mark] = [:]
        var valid = true
        for entry in map.entries {
            let name = entry.key.text
            guard Self.isHeaderToken(name) else {
                error(entry.key.mark, "'\(Self.excerpt(name))' is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)")
                valid = false
                continue
            }
            if let first = seen[name.lowercased()] {
                error(entry.key.mark, "duplicate header '\(name)' (header names are case-insensitive); first at line \(first.line), column \(first.column)")
                valid = false
                continue
            }
            seen[name.lowercased()] = entry.key.mark
            guard let (value, fromEnvironment, template) = string(entry.value, "header '\(name)'") else {
                valid = false
                continue
            }
            if value.value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) {
                error(value.mark, "header '\(name)' must not contain line breaks or NUL characters")
                valid = false
                continue
            }
            let sensitive = fromEnvironment || Sensitivity.isSensitiveHeaderName(name)
            out.append(HeaderDecl(name: name, value: value.value, template: template, sensitive: sensitive, mark: entry.key.mark))
        }
        return valid ? Located(value: out, mark: map.mark) : nil
    }
}
