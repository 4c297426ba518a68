/// Computes a ``Plan`` from what the spec declares and what the server has. Pure: no I/O.
public enum Planner {
    public static func plan(_ desired: [DesiredConfig], observed: ObservedState,
                            options: PlanOptions = PlanOptions()) throws(PlanError) -> Plan {
        var problems: [PlanError.Problem] = []
        var configs: [ConfigPlan] = []
        let api = desired.first?.scope.api ?? .legacy
        // Platform: a pinned webhook may sit under another number (a replace moves it); it is this
        // declaration's, and no other scope lists it as unmanaged or deletes it.
        let pinned = api == .platform ? Set(desired.flatMap(\.webhooks).compactMap(\.id)) : []
        for config in desired.sorted(by: { $0.scope < $1.scope }) {
            let server = observed.webhooks[config.scope] ?? []
            switch planConfig(config, server: server, observed: observed, pinnedElsewhere: pinned, prune: config.prune || options.prune,
                              options: options) {
            case .success(let plan): configs.append(plan)
            case .failure(let failure): problems += failure.problems
            }
        }
        guard problems.isEmpty else { throw PlanError(problems) }
        return Plan(api: api, configs: configs)
    }

    /// The scopes in which a declared URL without an `id` pin matches several server webhooks.
    /// Such a plan fails; a caller may first read those scopes again, in case a concurrent apply
    /// is about to remove its copy.
    public static func ambiguousConfigs(_ desired: [DesiredConfig], observed: ObservedState) -> [WebhookScope] {
        desired.filter { !match($0, server: observed.webhooks[$0.scope] ?? [], observed: observed).ambiguous.isEmpty }.map(\.scope)
    }

    /// Which server webhook each declared webhook is (by index in the scope), and where it is.
    private struct Matching {
        var matches: [Int: (hook: ServerWebhook, scope: WebhookScope)] = [:]
        var claimed = Set<String>()
        var ambiguous = Set<Int>()
        var problems: [PlanError.Problem] = []
    }

    private static func match(_ config: DesiredConfig, server: [ServerWebhook], observed: ObservedState) -> Matching {
        var m = Matching()
        // Pins first, so a pinned webhook is never also matched by URL. Under the Platform API a pin
        // may name a webhook of another number (or of the project): it is then moved (a replace).
        for (index, hook) in config.webhooks.enumerated() {
            guard let pin = hook.id else { continue }
            if let match = server.first(where: { idKey($0.id) == pin }) {
                m.matches[index] = (match, config.scope)
                m.claimed.insert(pin)
            } else if config.scope.api == .platform, let elsewhere = find(pin, in: observed) {
                m.matches[index] = (elsewhere.hook, elsewhere.scope)
            } else {
                m.problems.append(.unknownPin(hook.location, config.scope, id: pin))
            }
        }
        for (index, hook) in config.webhooks.enumerated() where hook.id == nil {
            let candidates = server.indices.filter { URLIdentity.same(server[$0].url, hook.url) && !m.claimed.contains(idKey(server[$0].id)) }
            if candidates.count > 1 {
                m.ambiguous.insert(index)
                m.problems.append(.ambiguousURL(hook.location, config.scope, url: hook.displayURL, ids: candidates.map { server[$0].id }.sorted()))
            } else if let match = candidates.first {
                m.matches[index] = (server[match], config.scope)
                m.claimed.insert(idKey(server[match].id))
            }
        }
        return m
    }

    /// An id as ids are compared: case-insensitively. Most ids are lower-case already (Kapso's
    /// UUIDs): those are used as they are, not copied.
    static func idKey(_ id: String) -> String {
        id.utf8.contains { (0x41...0x5A).contains($0) || $0 >= 0x80 } ? id.lowercased() : id
    }

    /// A webhook of any scope read, by id.
    private static func find(_ id: String, in observed: ObservedState) -> (hook: ServerWebhook, scope: WebhookScope)? {
        for scope in observed.webhooks.keys.sorted() {
            if let hook = observed.webhooks[scope]?.first(where: { idKey($0.id) == id }) { return (hook, scope) }
        }
        return nil
    }

    private static func planConfig(_ config: DesiredConfig, server: [ServerWebhook], observed: ObservedState,
                                   pinnedElsewhere: Set<String>, prune: Bool, options: PlanOptions) -> Result<ConfigPlan, PlanError> {
        let matching = match(config, server: server, observed: observed)
        var problems = matching.problems
        var changes: [WebhookChange] = []
        for (index, hook) in config.webhooks.enumerated() {
            if let (match, scope) = matching.matches[index] {
                let change = compare(hook, with: match, in: scope, declaredIn: config.scope, options: options)
                if change.action == .replace, let missing = missingForCreate(hook, in: config.scope) {
                    problems.append(.cannotCreate(hook.location, config.scope, url: hook.displayURL, missing: missing))
                    continue
                }
                changes.append(change)
            } else if hook.id == nil && !matching.ambiguous.contains(index) {
                if let missing = missingForCreate(hook, in: config.scope) {
                    problems.append(.cannotCreate(hook.location, config.scope, url: hook.displayURL, missing: missing))
                    continue
                }
                changes.append(create(hook, in: config.scope))
            }
        }
        let leftovers = server.filter { !matching.claimed.contains(idKey($0.id)) && !pinnedElsewhere.contains(idKey($0.id)) }
            .sorted { ($0.url ?? "", $0.id) < ($1.url ?? "", $1.id) }
        for hook in leftovers {
            let ignored = config.ignore.contains { $0.matches(hook.url ?? "") }
            changes.append(WebhookChange(action: ignored ? .ignored : prune ? .delete : .unmanaged, scope: config.scope, webhookID: hook.id,
                                         displayURL: URLDisplay.masked(hook.url ?? ""), fields: [], unverifiable: []))
        }
        if case .phoneNumber = config.scope, let problem = secondMeta(config, changes: changes, server: server) {
            problems.append(problem)
        }
        guard problems.isEmpty else { return .failure(PlanError(problems)) }
        return .success(ConfigPlan(scope: config.scope, name: config.name, changes: changes))
    }

    /// A number holds at most one `meta` webhook (the API answers 422 to a second): a plan that
    /// creates one where an undeclared one stays (unmanaged or ignored) fails at plan time, naming it.
    private static func secondMeta(_ config: DesiredConfig, changes: [WebhookChange], server: [ServerWebhook]) -> PlanError.Problem? {
        let creating = changes.filter { ($0.action == .create || $0.action == .replace) && $0.desired?.attributes[.kind] == "meta" }
        guard let first = creating.first, let desired = first.desired else { return nil }
        let staying = changes.filter { $0.action == .unmanaged || $0.action == .ignored }.compactMap(\.webhookID)
        let kept = server.filter { staying.contains($0.id) && $0.attributes[.kind] == "meta" }
        guard let other = kept.first else { return nil }
        return .secondMeta(desired.location, config.scope, url: desired.displayURL, existing: other.id)
    }

    /// The attributes the API requires to create `hook` in `scope` that it does not set, or nil.
    /// A config's webhook needs url, secret_key and events; on the Platform API Kapso generates a
    /// secret_key left out, so a number's `kapso` webhook needs url and events, a `meta` one and a
    /// project webhook only their url.
    static func missingForCreate(_ hook: DesiredWebhook, in scope: WebhookScope) -> [String]? {
        let required: [Attribute] = switch scope {
        case .project: [.url]
        case .config: Attribute.all.filter(\.requiredOnCreate)
        case .phoneNumber: hook.attributes[.kind] == "meta" ? [.url] : [.url, .events]
        }
        let missing = required.filter { hook.attributes[$0] == nil }.map(\.name)
        return missing.isEmpty ? nil : missing
    }

    /// A create: every managed attribute, in table order, is set (and sent).
    private static func create(_ hook: DesiredWebhook, in scope: WebhookScope) -> WebhookChange {
        WebhookChange(action: .create, scope: scope, webhookID: nil, displayURL: hook.displayURL, fields: createFields(hook, in: scope),
                      unverifiable: [], body: hook.attributes, desired: hook)
    }

    /// What a create sets; on the Platform API, a secret_key left out is shown as the one Kapso
    /// generates (``FieldChange/generatedSecret``), in its place in the table.
    private static func createFields(_ hook: DesiredWebhook, in scope: WebhookScope) -> [FieldChange] {
        var fields = hook.attributes.entries.map { attribute, value in
            FieldChange(name: attribute.name, before: .null, after: attribute.kind == .url ? .string(hook.displayURL) : value,
                        sensitive: attribute.sensitive, sensitiveHeaders: attribute.kind == .headers ? sensitiveNames(hook, [:]) : [])
        }
        if let generated = generatedSecret(hook, in: scope) {
            let later = fields.firstIndex { Attribute.named($0.name).map { $0.ordinal > Attribute.secretKey.ordinal } ?? false }
            fields.insert(generated, at: later ?? fields.count)
        }
        return fields
    }

    /// The secret Kapso generates for `hook` when it is created in `scope` without one: only on the
    /// Platform API (the legacy API requires it).
    private static func generatedSecret(_ hook: DesiredWebhook, in scope: WebhookScope) -> FieldChange? {
        guard scope.api == .platform, hook.attributes[.secretKey] == nil else { return nil }
        return .generatedSecret
    }

    /// The differing managed attributes of a matched webhook, and the PATCH body that fixes them:
    /// each attribute compared by its kind, in table order.
    ///
    /// A webhook that must change an immutable attribute (`kind`), or that is pinned under another
    /// number than the one it is declared under, cannot be patched: it is a **replace** (deleted,
    /// then created with every declared attribute).
    private static func compare(_ hook: DesiredWebhook, with server: ServerWebhook, in scope: WebhookScope,
                                declaredIn declared: WebhookScope, options: PlanOptions) -> WebhookChange {
        let want = hook.attributes
        var fields: [FieldChange] = []
        var differing = AttributeSet()
        var unverifiable: [String] = []
        // With buffering off, the server's other buffer fields mean nothing (the Platform API even
        // nulls them): compare them only when the webhook itself sets them and the server reports them.
        let bufferingOff = !(want.bufferEnabled ?? server.bufferEnabled ?? false)
        var immutableChanged = false
        if scope != declared {
            fields.append(FieldChange(name: "phone_number_id", before: scope.id.map(FieldValue.string) ?? .null,
                                      after: declared.id.map(FieldValue.string) ?? .null))
        }
        for attribute in Attribute.all {
            guard let wanted = want[attribute] else { continue }
            // The server's silence means its default (payload_version v2, kind kapso); with buffering
            // off, a buffer setting it nulls or empties is no setting at all.
            var have = server[attribute] ?? attribute.absentMeans
            if attribute.onlyWhileBuffering && bufferingOff && have == .list([]) { have = nil }
            switch attribute.kind {
            case .secret:
                if isHidden(have?.string) {
                    guard options.rotateSecrets else {
                        unverifiable.append(attribute.name)
                        continue
                    }
                    fields.append(FieldChange(name: attribute.name, before: .null, after: wanted, sensitive: true))
                } else if wanted != have {
                    fields.append(FieldChange(name: attribute.name, before: have ?? .null, after: wanted, sensitive: true))
                } else {
                    continue
                }
            case .url:
                guard !attribute.kind.same(wanted, have) else { continue }
                fields.append(FieldChange(name: attribute.name, before: have?.string.map { .string(URLDisplay.masked($0)) } ?? .null,
                                          after: .string(hook.displayURL)))
            case .headers:
                guard !attribute.kind.same(wanted, have) else { continue }
                let current = have?.map ?? [:]
                fields.append(FieldChange(name: attribute.name, before: .map(current), after: wanted,
                                          sensitive: attribute.sensitive, sensitiveHeaders: sensitiveNames(hook, current)))
            case .events, .boolean, .integer, .choice:
                if attribute.onlyWhileBuffering && bufferingOff && (hook.inheritedAttributes.contains(attribute) || have == nil) {
                    continue
                }
                guard !attribute.kind.same(wanted, have) else { continue }
                if attribute.immutable { immutableChanged = true }
                fields.append(FieldChange(name: attribute.name, before: have ?? .null, after: wanted, sensitive: attribute.sensitive))
            }
            differing.insert(attribute)
        }
        let sameURL = URLIdentity.same(server.url, hook.url)
        let displayURL = sameURL ? hook.displayURL : URLDisplay.masked(server.url ?? hook.url)
        if immutableChanged || scope != declared {
            // Shown: what differs (and a new generated secret). Sent: the whole declaration, after
            // the old webhook is deleted.
            return WebhookChange(action: .replace, scope: declared, webhookID: server.id, displayURL: displayURL,
                                 fields: fields + [generatedSecret(hook, in: declared)].compactMap { $0 },
                                 unverifiable: [], body: want, desired: hook, replacing: scope)
        }
        return WebhookChange(action: fields.isEmpty ? .unchanged : .update, scope: scope, webhookID: server.id,
                             displayURL: displayURL, fields: fields, unverifiable: unverifiable,
                             body: fields.isEmpty ? nil : want.only(differing), desired: hook)
    }

    /// True when `server` already has every attribute set in `attributes`, by the plan's rules (a
    /// secret the server does not reveal counts as equal: it cannot be checked).
    static func matches(_ attributes: WebhookAttributes, _ server: ServerWebhook) -> Bool {
        let declared = DesiredWebhook(id: nil, attributes: attributes, sensitiveHeaders: [], secretTemplates: SecretTemplates(),
                                      inheritedAttributes: [], location: SourceLocation(file: "", line: 0, column: 0))
        return compare(declared, with: server, in: .project, declaredIn: .project, options: PlanOptions()).action == .unchanged
    }

    /// A secret the server does not reveal: absent, empty, or masked (`****`, `••••`).
    static func isHidden(_ secret: String?) -> Bool {
        guard let secret, !secret.isEmpty else { return true }
        return secret.contains("***") || secret.contains("•••")
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
