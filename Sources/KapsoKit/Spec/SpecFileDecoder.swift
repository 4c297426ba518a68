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
    static let webhookKeys = ["id"] + Attribute.names
    static let defaultsKeys = Attribute.all.filter(\.allowedInDefaults).map(\.name)
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
            if key == "id" {
                decl.id = uuid(entry.value, "'id'")
            } else if let attribute = Attribute.named(key), let declared = declared(attribute, entry.value) {
                decl.values[attribute.name] = declared
            }
        }
        if !isDefaults && fields["url"] == nil {
            error(map.mark, "missing required key 'url' in this webhook")
        }
        return decl
    }

    /// Cross-field rules on a merged webhook, then the plain value the planner uses.
    mutating func finish(_ decl: WebhookDecl) -> DesiredWebhook? {
        // The one rule across attributes: a buffered event must be one the webhook subscribes to.
        if let buffered = decl.values[Attribute.bufferEvents.name], let events = decl.values[Attribute.events.name] {
            let subscribed = Set(events.items.map(\.value))
            for event in buffered.items where !subscribed.contains(event.value) {
                error(event.mark, "buffer_events lists '\(event.value)', which is not in this webhook's 'events'")
            }
        }
        guard let url = decl.values[Attribute.url.name] else { return nil }
        var attributes = WebhookAttributes()
        for attribute in Attribute.all {
            if let declared = decl.values[attribute.name] { attributes[attribute] = declared.value }
        }
        let headers = decl.values[Attribute.headers.name]?.headers ?? []
        let sensitive = headers.filter(\.sensitive)
        return DesiredWebhook(
            id: decl.id?.value, attributes: attributes, sensitiveHeaders: Set(sensitive.map { $0.name.lowercased() }),
            secretTemplates: SecretTemplates(
                secretKey: decl.values[Attribute.secretKey.name]?.template,
                headers: Dictionary(sensitive.map { ($0.name.lowercased(), $0.template) }) { first, _ in first },
                url: url.fromEnvironment ? url.template : nil),
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
