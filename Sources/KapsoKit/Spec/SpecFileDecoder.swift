/// A scope's entry as declared in one file: a config (legacy), a phone number or the project block.
struct ScopeDecl {
    var scope: WebhookScope
    /// Where the scope's id (or the project block) is written.
    var idMark: Mark
    var name: Located<String>?
    var prune: Located<Bool>?
    var webhooks: [DesiredWebhook]
    var mark: Mark
    /// `ignore:` patterns: server webhooks another system owns.
    var ignore: [IgnorePattern] = []
}

/// What one file declares.
struct SpecFileContent {
    var api: APIGeneration
    /// Where `api:` is written, when it is.
    var apiMark: Mark?
    var scopes: [ScopeDecl]
    /// Every value substituted from the environment.
    var secretValues: Set<String>
}

/// Decodes one file's node tree into declarations, checking every rule of the spec format and
/// collecting all problems rather than stopping at the first.
struct SpecFileDecoder {
    let source: SourceText
    let variables: SpecVariables
    private(set) var diagnostics: [SpecDiagnostic] = []
    /// Every value substituted from the environment, so that outputs can mask it wherever it appears.
    var secretValues = Set<String>()
    /// The file's generation (`api:`), known before anything else is decoded.
    var api = APIGeneration.legacy
    /// Whether an unset `${VAR}` is an error or a note.
    let unsetVariables: UnsetVariables
    /// Event names this file declares under `extra_events`: new ones kapsoctl does not know yet.
    var extraEvents: [String] = []
    /// Every unset variable's reference, when they are notes.
    var unsetReferences: [(name: String, mark: Mark)] = []

    init(source: SourceText, variables: SpecVariables, unsetVariables: UnsetVariables = .error) {
        self.source = source
        self.variables = variables
        self.unsetVariables = unsetVariables
    }

    mutating func error(_ mark: Mark, _ message: String) {
        diagnostics.append(source.diagnostic(at: mark, message))
    }

    static let topLevelKeys = ["version", "api", "extra_events", "defaults", "configs", "phone_numbers", "project"]
    static let configKeys = ["whatsapp_config_id", "name", "prune", "webhooks", "ignore"]
    static let phoneNumberKeys = ["phone_number_id", "name", "prune", "webhooks", "ignore"]
    static let projectKeys = ["prune", "webhooks", "ignore"]

    /// The keys of a webhook (or of `defaults`) under the file's generation, and why others are
    /// refused: built once per generation (every webhook asks).
    private struct KeyRules {
        var webhookKeys: [String]
        var defaultsKeys: [String]
        var webhookUnsupported: [String: String]
        var defaultsUnsupported: [String: String]

        init(_ api: APIGeneration) {
            webhookKeys = ["id"] + Attribute.table(for: api).map(\.name)
            defaultsKeys = Attribute.table(for: api).filter(\.allowedInDefaults).map(\.name)
            switch api {
            case .legacy:
                webhookUnsupported = Dictionary(uniqueKeysWithValues: ["kind", "payload_version", "phone_number_id", "project_id"].map {
                    ($0, "'\($0)' is a Platform API attribute; it is not available with 'api: legacy'")
                })
            case .platform:
                webhookUnsupported = [
                    "phone_number_id": "'phone_number_id' is not set on a webhook: declare the webhook under its number in 'phone_numbers'",
                    "project_id": "'project_id' is not set on a webhook: project webhooks are declared under 'project'",
                ]
            }
            defaultsUnsupported = webhookUnsupported.merging([
                "url": "'url' cannot be a default; every webhook names its own",
                "id": "'id' cannot be a default; it pins one webhook",
            ]) { $1 }
        }

        static let legacy = KeyRules(.legacy)
        static let platform = KeyRules(.platform)
    }

    private var keyRules: KeyRules { api == .legacy ? .legacy : .platform }
    private var webhookKeys: [String] { keyRules.webhookKeys }
    private var defaultsKeys: [String] { keyRules.defaultsKeys }
    private var webhookUnsupported: [String: String] { keyRules.webhookUnsupported }
    private var defaultsUnsupported: [String: String] { keyRules.defaultsUnsupported }

    mutating func decodeFile(_ root: YAMLNode) -> SpecFileContent? {
        guard case .mapping(let top) = root else {
            error(root.mark, "the top level must be a mapping starting with 'version: 1', not \(root.kindDescription)")
            return nil
        }
        var apiMark: Mark?
        if let entry = top.entries.first(where: { $0.key.text == "api" }), let text = string(entry.value, "'api'") {
            apiMark = text.mark
            if let generation = APIGeneration(rawValue: text.value) {
                api = generation
            } else {
                error(text.mark, "'api' must be 'legacy' or 'platform', not '\(Self.excerpt(text.value))'")
            }
        }
        let wrongGeneration: [String: String] = switch api {
        case .legacy: [
            "phone_numbers": "'phone_numbers' belongs to 'api: platform'; add 'api: platform' to manage the Platform API's webhooks",
            "project": "'project' belongs to 'api: platform'; add 'api: platform' to manage the Platform API's webhooks",
        ]
        case .platform: ["configs": "'configs' belongs to the legacy API; with 'api: platform' webhooks are declared under 'phone_numbers' and 'project'"]
        }
        let fields = fields(of: top, in: "the top level", allowed: Self.topLevelKeys.filter { wrongGeneration[$0] == nil },
                            unsupported: wrongGeneration, ignoreExtensions: true)

        if let version = fields["version"] {
            if let v = integer(version.value, "'version'", in: 1...Int.max), v.value != 1 {
                error(v.mark, "'version' must be 1 (the only spec version that exists)")
            }
        } else {
            error(top.mark, "missing required key 'version'; add 'version: 1'")
        }

        if let entry = fields["extra_events"] {
            extraEvents = newEventNames(entry.value)
        }

        var defaults: WebhookDecl?
        if let entry = fields["defaults"] {
            defaults = webhook(entry.value, isDefaults: true)
        }

        var scopes: [ScopeDecl] = []
        switch api {
        case .legacy:
            if let entry = fields["configs"] {
                if let list = sequence(entry.value, "'configs'") {
                    for item in list.items {
                        if let config = scopeEntry(item, kind: .config, defaults: defaults) { scopes.append(config) }
                    }
                }
            } else {
                error(top.mark, "missing required key 'configs' (a list of WhatsApp configs and their webhooks)")
            }
        case .platform:
            if let entry = fields["phone_numbers"], let list = sequence(entry.value, "'phone_numbers'") {
                for item in list.items {
                    if let number = scopeEntry(item, kind: .phoneNumber, defaults: defaults) { scopes.append(number) }
                }
            }
            if let entry = fields["project"], let project = scopeEntry(entry.value, kind: .project, defaults: defaults) {
                scopes.append(project)
            }
            if fields["phone_numbers"] == nil && fields["project"] == nil {
                error(top.mark, "missing key 'phone_numbers' or 'project': a platform spec declares webhooks per phone number, for the project, or both")
            }
        }
        return SpecFileContent(api: api, apiMark: apiMark, scopes: scopes, secretValues: secretValues)
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

    enum ScopeKind { case config, phoneNumber, project }

    /// A config, a phone number, or the project block, with its webhooks.
    mutating func scopeEntry(_ node: YAMLNode, kind: ScopeKind, defaults: WebhookDecl?) -> ScopeDecl? {
        let (what, context, this, allowed) = switch kind {
        case .config: ("each entry of 'configs'", "a config", "this config", Self.configKeys)
        case .phoneNumber: ("each entry of 'phone_numbers'", "a phone number", "this phone number", Self.phoneNumberKeys)
        case .project: ("'project'", "'project'", "'project'", Self.projectKeys)
        }
        guard let map = mapping(node, what) else { return nil }
        let fields = fields(of: map, in: context, allowed: allowed)
        var scope: WebhookScope?
        var idMark = map.mark
        switch kind {
        case .config:
            if let entry = fields["whatsapp_config_id"] {
                // Kept as written: it goes into request paths, and a server need not fold its case.
                if let id = uuid(entry.value, "'whatsapp_config_id'", keepCase: true) {
                    scope = .config(id.value)
                    idMark = id.mark
                }
            } else {
                error(map.mark, "missing required key 'whatsapp_config_id' in this config")
            }
        case .phoneNumber:
            if let entry = fields["phone_number_id"] {
                if let id = phoneNumberID(entry.value) {
                    scope = .phoneNumber(id.value)
                    idMark = id.mark
                }
            } else {
                error(map.mark, "missing required key 'phone_number_id' in this phone number (Meta's id of the number, digits)")
            }
        case .project:
            scope = .project
        }
        let name = fields["name"].flatMap { string($0.value, "'name'") }.map { Located(value: $0.value, mark: $0.mark) }
        let prune = fields["prune"].flatMap { bool($0.value, "'prune'") }
        var webhooks: [DesiredWebhook] = []
        if let entry = fields["webhooks"] {
            if let list = sequence(entry.value, "'webhooks'") {
                for item in list.items {
                    if let decl = webhook(item, isDefaults: false), let scope,
                       let hook = finish(decl.merged(over: defaults, for: scope), scope: scope) {
                        webhooks.append(hook)
                    }
                }
            }
        } else {
            error(map.mark, "missing required key 'webhooks' in \(this) (use 'webhooks: []' for none)")
        }
        let ignore = fields["ignore"].map { ignorePatterns($0.value) } ?? []
        guard let scope else { return nil }
        return ScopeDecl(scope: scope, idMark: idMark, name: name, prune: prune, webhooks: webhooks, mark: map.mark, ignore: ignore)
    }

    mutating func webhook(_ node: YAMLNode, isDefaults: Bool) -> WebhookDecl? {
        let what = isDefaults ? "'defaults'" : "each entry of 'webhooks'"
        guard let map = mapping(node, what) else { return nil }
        let fields = isDefaults
            ? fields(of: map, in: "'defaults'", allowed: defaultsKeys, unsupported: defaultsUnsupported)
            : fields(of: map, in: "a webhook", allowed: webhookKeys, unsupported: webhookUnsupported)
        var decl = WebhookDecl(mark: map.mark)
        for entry in fields {
            let key = entry.key.text
            if key == "id" {
                decl.id = uuid(entry.value, "'id'")
            } else if let attribute = Attribute.named(key), let declared = declared(attribute, entry.value) {
                decl[attribute] = declared
            }
        }
        if !isDefaults && fields["url"] == nil {
            error(map.mark, "missing required key 'url' in this webhook")
        }
        return decl
    }

    /// Cross-field rules on a merged webhook in its scope, then the plain value the planner uses.
    mutating func finish(_ decl: WebhookDecl, scope: WebhookScope) -> DesiredWebhook? {
        if api == .platform { checkPlatformRules(decl, scope: scope) }
        // The one rule across attributes: a buffered event must be one the webhook subscribes to.
        if let buffered = decl[.bufferEvents], let events = decl[.events] {
            let subscribed = Set(events.items.map(\.value))
            for event in buffered.items where !subscribed.contains(event.value) {
                error(event.mark, "buffer_events lists '\(event.value)', which is not in this webhook's 'events'")
            }
        }
        guard let url = decl[.url] else { return nil }
        var attributes = WebhookAttributes()
        for attribute in Attribute.all {
            if let declared = decl[attribute] { attributes[attribute] = declared.value }
        }
        let headers = decl[.headers]?.headers ?? []
        let sensitive = headers.filter(\.sensitive)
        return DesiredWebhook(
            id: decl.id?.value, attributes: attributes, sensitiveHeaders: Set(sensitive.map { $0.name.lowercased() }),
            secretTemplates: SecretTemplates(
                secretKey: decl[.secretKey]?.template,
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
            } else if api == .legacy && EventNames.projectScope.contains(name) {
                error(scalar.mark, "event '\(name)' is only for project-scoped webhooks (Platform API); a WhatsApp config cannot subscribe to it")
                valid = false
            } else if !(api == .legacy ? EventNames.configScope : EventNames.all).contains(name) && !extraEvents.contains(name) {
                // Under the Platform API, which scope may use an event is checked per webhook (finish).
                let candidates = api == .legacy ? EventNames.configScope : EventNames.all
                error(scalar.mark, "unknown event '\(Self.excerpt(name))'\(Suggestion.hint(for: name, in: candidates + extraEvents))"
                      + " (a new Kapso event goes in the top-level 'extra_events' list)")
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

    /// `extra_events`: well-formed event names (lowercase words joined by dots, like
    /// `whatsapp.message.reacted`) that webhooks of this file may use though kapsoctl does not know them.
    mutating func newEventNames(_ node: YAMLNode) -> [String] {
        guard let list = sequence(node, "'extra_events'") else { return [] }
        var names: [String] = []
        for item in list.items {
            guard case .scalar(let scalar) = item, !scalar.isNull else {
                error(item.mark, "each item of 'extra_events' must be an event name, not \(item.kindDescription)")
                continue
            }
            guard EventNames.isWellFormed(scalar.text) else {
                error(scalar.mark, "'\(Self.excerpt(scalar.text))' is not a well-formed event name: lowercase letters, digits and '_' in two or more parts joined by dots, like 'whatsapp.message.received'")
                continue
            }
            names.append(scalar.text)
        }
        return names
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
            guard let value = string(entry.value, "header '\(name)'") else {
                valid = false
                continue
            }
            if Self.hasControlCharacter(value.value) {
                error(value.mark, "header '\(name)' must not contain line breaks or other control characters (a line break would add a header of its own to every delivery)")
                valid = false
                continue
            }
            let sensitive = value.fromEnvironment || Sensitivity.isSensitiveHeaderName(name)
            out.append(HeaderDecl(name: name, value: value.value, template: value.template, sensitive: sensitive, mark: entry.key.mark))
        }
        return valid ? Located(value: out, mark: map.mark) : nil
    }
}
