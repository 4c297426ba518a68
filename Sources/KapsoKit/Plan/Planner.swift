/// Computes a ``Plan`` from what the spec declares and what the server has. Pure: no I/O.
public enum Planner {
    public static func plan(_ desired: [DesiredConfig], observed: ObservedState,
                            options: PlanOptions = PlanOptions()) throws(PlanError) -> Plan {
        var problems: [PlanError.Problem] = []
        var configs: [ConfigPlan] = []
        for config in desired.sorted(by: { $0.id < $1.id }) {
            let server = observed.webhooks[config.id] ?? []
            switch planConfig(config, server: server, prune: config.prune || options.prune, options: options) {
            case .success(let plan): configs.append(plan)
            case .failure(let failure): problems += failure.problems
            }
        }
        guard problems.isEmpty else { throw PlanError(problems) }
        return Plan(configs: configs)
    }

    /// The configs in which a declared URL without an `id` pin matches several server webhooks.
    /// Such a plan fails; a caller may first read those configs again, in case a concurrent apply
    /// is about to remove its copy.
    public static func ambiguousConfigs(_ desired: [DesiredConfig], observed: ObservedState) -> [String] {
        desired.filter { !match($0, server: observed.webhooks[$0.id] ?? []).ambiguous.isEmpty }.map(\.id)
    }

    /// Which server webhook each declared webhook is (by index in the config).
    private struct Matching {
        var matches: [Int: ServerWebhook] = [:]
        var claimed = Set<String>()
        var ambiguous = Set<Int>()
        var problems: [PlanError.Problem] = []
    }

    private static func match(_ config: DesiredConfig, server: [ServerWebhook]) -> Matching {
        var m = Matching()
        let byID = Dictionary(server.map { ($0.id.lowercased(), $0) }) { first, _ in first }
        // Pins first, so a pinned webhook is never also matched by URL.
        for (index, hook) in config.webhooks.enumerated() {
            guard let pin = hook.id else { continue }
            if let match = byID[pin] {
                m.matches[index] = match
                m.claimed.insert(pin)
            } else {
                m.problems.append(.unknownPin(hook.location, configID: config.id, id: pin))
            }
        }
        for (index, hook) in config.webhooks.enumerated() where hook.id == nil {
            let candidates = server.filter { URLIdentity.same($0.url, hook.url) && !m.claimed.contains($0.id.lowercased()) }
            if candidates.count > 1 {
                m.ambiguous.insert(index)
                m.problems.append(.ambiguousURL(hook.location, configID: config.id, url: hook.displayURL, ids: candidates.map(\.id).sorted()))
            } else if let match = candidates.first {
                m.matches[index] = match
                m.claimed.insert(match.id.lowercased())
            }
        }
        return m
    }

    private static func planConfig(_ config: DesiredConfig, server: [ServerWebhook], prune: Bool,
                                   options: PlanOptions) -> Result<ConfigPlan, PlanError> {
        let matching = match(config, server: server)
        var problems = matching.problems
        let (matches, claimed, ambiguous) = (matching.matches, matching.claimed, matching.ambiguous)
        var changes: [WebhookChange] = []
        for (index, hook) in config.webhooks.enumerated() {
            if let match = matches[index] {
                changes.append(compare(hook, with: match, configID: config.id, options: options))
            } else if hook.id == nil && !ambiguous.contains(index) {
                let missing = [("secret_key", hook.attributes.secretKey == nil), ("events", hook.attributes.events == nil)]
                    .filter(\.1).map(\.0)
                if !missing.isEmpty {
                    problems.append(.cannotCreate(hook.location, configID: config.id, url: hook.displayURL, missing: missing))
                    continue
                }
                changes.append(create(hook, configID: config.id))
            }
        }
        let leftovers = server.filter { !claimed.contains($0.id.lowercased()) }
            .sorted { ($0.url ?? "", $0.id) < ($1.url ?? "", $1.id) }
        for hook in leftovers {
            changes.append(WebhookChange(action: prune ? .delete : .unmanaged, configID: config.id, webhookID: hook.id,
                                         displayURL: URLDisplay.masked(hook.url ?? ""), fields: [], unverifiable: []))
        }
        guard problems.isEmpty else { return .failure(PlanError(problems)) }
        return .success(ConfigPlan(id: config.id, name: config.name, changes: changes))
    }

    private static func create(_ hook: DesiredWebhook, configID: String) -> WebhookChange {
        let a = hook.attributes
        var fields: [FieldChange] = []
        func add(_ name: String, _ value: FieldValue?, sensitive: Bool = false) {
            if let value { fields.append(FieldChange(name: name, before: .null, after: value, sensitive: sensitive,
                                                     sensitiveHeaders: name == "headers" ? sensitiveNames(hook, [:]) : [])) }
        }
        add("url", .string(hook.displayURL))
        add("secret_key", a.secretKey.map(FieldValue.string), sensitive: true)
        add("events", a.events.map(FieldValue.list))
        add("active", a.active.map(FieldValue.bool))
        add("headers", a.headers.map(FieldValue.map))
        add("buffer_enabled", a.bufferEnabled.map(FieldValue.bool))
        add("buffer_window_seconds", a.bufferWindowSeconds.map(FieldValue.int))
        add("max_buffer_size", a.maxBufferSize.map(FieldValue.int))
        add("buffer_events", a.bufferEvents.map(FieldValue.list))
        add("inactivity_minutes", a.inactivityMinutes.map(FieldValue.int))
        return WebhookChange(action: .create, configID: configID, webhookID: nil, displayURL: hook.displayURL, fields: fields,
                             unverifiable: [], body: a, desired: hook)
    }

    /// The differing managed attributes of a matched webhook, and the PATCH body that fixes them.
    private static func compare(_ hook: DesiredWebhook, with server: ServerWebhook, configID: String,
                                options: PlanOptions) -> WebhookChange {
        let want = hook.attributes
        var fields: [FieldChange] = []
        var body = WebhookAttributes()
        var unverifiable: [String] = []

        if let url = want.url, !URLIdentity.same(url, server.url) {
            fields.append(FieldChange(name: "url", before: server.url.map { .string(URLDisplay.masked($0)) } ?? .null,
                                      after: .string(hook.displayURL)))
            body.url = url
        }
        if let secret = want.secretKey {
            if isHidden(server.secretKey) {
                if options.rotateSecrets {
                    fields.append(FieldChange(name: "secret_key", before: .null, after: .string(secret), sensitive: true))
                    body.secretKey = secret
                } else {
                    unverifiable.append("secret_key")
                }
            } else if server.secretKey != secret {
                fields.append(FieldChange(name: "secret_key", before: .string(server.secretKey ?? ""), after: .string(secret), sensitive: true))
                body.secretKey = secret
            }
        }
        if let events = want.events, Set(events) != Set(server.events ?? []) {
            fields.append(FieldChange(name: "events", before: server.events.map(FieldValue.list) ?? .null, after: .list(events)))
            body.events = events
        }
        if let active = want.active, active != server.active {
            fields.append(FieldChange(name: "active", before: server.active.map(FieldValue.bool) ?? .null, after: .bool(active)))
            body.active = active
        }
        if let headers = want.headers {
            let current = server.headers ?? [:]
            if lowercasedKeys(headers) != lowercasedKeys(current) {
                fields.append(FieldChange(name: "headers", before: .map(current), after: .map(headers),
                                          sensitiveHeaders: sensitiveNames(hook, current)))
                body.headers = headers
            }
        }
        if let enabled = want.bufferEnabled, enabled != server.bufferEnabled {
            fields.append(FieldChange(name: "buffer_enabled", before: server.bufferEnabled.map(FieldValue.bool) ?? .null, after: .bool(enabled)))
            body.bufferEnabled = enabled
        }
        // With buffering off, the server's other buffer fields mean nothing (the Platform API even
        // nulls them): compare them only when the webhook itself sets them and the server reports them.
        let bufferingOff = !(want.bufferEnabled ?? server.bufferEnabled ?? false)
        func bufferField(_ name: String, serverValue: Bool) -> Bool {
            !(bufferingOff && (hook.inheritedAttributes.contains(name) || !serverValue))
        }
        if let window = want.bufferWindowSeconds, window != server.bufferWindowSeconds,
           bufferField("buffer_window_seconds", serverValue: server.bufferWindowSeconds != nil) {
            fields.append(FieldChange(name: "buffer_window_seconds", before: server.bufferWindowSeconds.map(FieldValue.int) ?? .null, after: .int(window)))
            body.bufferWindowSeconds = window
        }
        if let size = want.maxBufferSize, size != server.maxBufferSize,
           bufferField("max_buffer_size", serverValue: server.maxBufferSize != nil) {
            fields.append(FieldChange(name: "max_buffer_size", before: server.maxBufferSize.map(FieldValue.int) ?? .null, after: .int(size)))
            body.maxBufferSize = size
        }
        if let events = want.bufferEvents, Set(events) != Set(server.bufferEvents ?? []),
           bufferField("buffer_events", serverValue: server.bufferEvents != nil) {
            fields.append(FieldChange(name: "buffer_events", before: server.bufferEvents.map(FieldValue.list) ?? .null, after: .list(events)))
            body.bufferEvents = events
        }
        if let minutes = want.inactivityMinutes, minutes != server.inactivityMinutes {
            fields.append(FieldChange(name: "inactivity_minutes", before: server.inactivityMinutes.map(FieldValue.int) ?? .null, after: .int(minutes)))
            body.inactivityMinutes = minutes
        }
        let sameURL = URLIdentity.same(server.url, hook.url)
        return WebhookChange(action: fields.isEmpty ? .unchanged : .update, configID: configID, webhookID: server.id,
                             displayURL: sameURL ? hook.displayURL : URLDisplay.masked(server.url ?? hook.url),
                             fields: fields, unverifiable: unverifiable,
                             body: fields.isEmpty ? nil : body, desired: hook)
    }

    /// True when `server` already has every attribute set in `attributes`, by the plan's rules (a
    /// secret the server does not reveal counts as equal: it cannot be checked).
    static func matches(_ attributes: WebhookAttributes, _ server: ServerWebhook) -> Bool {
        let declared = DesiredWebhook(id: nil, attributes: attributes, sensitiveHeaders: [], secretTemplates: SecretTemplates(),
                                      inheritedAttributes: [], location: SourceLocation(file: "", line: 0, column: 0))
        return compare(declared, with: server, configID: "", options: PlanOptions()).action == .unchanged
    }

    /// A secret the server does not reveal: absent, empty, or masked (`****`, `••••`).
    static func isHidden(_ secret: String?) -> Bool {
        guard let secret, !secret.isEmpty else { return true }
        return secret.contains("***") || secret.contains("•••")
    }

    private static func lowercasedKeys(_ map: [String: String]) -> [String: String] {
        Dictionary(map.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
    }

    /// Header names whose values must be masked: secret by declaration or by name.
    private static func sensitiveNames(_ hook: DesiredWebhook, _ server: [String: String]) -> Set<String> {
        var names = hook.sensitiveHeaders
        for name in Array((hook.attributes.headers ?? [:]).keys) + Array(server.keys) where Sensitivity.isSensitiveHeaderName(name) {
            names.insert(name.lowercased())
        }
        return names
    }
}
