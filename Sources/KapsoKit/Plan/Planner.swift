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
                let missing = Attribute.all.filter { $0.requiredOnCreate && hook.attributes[$0] == nil }.map(\.name)
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

    /// A create: every managed attribute, in table order, is set (and sent).
    private static func create(_ hook: DesiredWebhook, configID: String) -> WebhookChange {
        let fields = hook.attributes.entries.map { attribute, value in
            FieldChange(name: attribute.name, before: .null, after: attribute.kind == .url ? .string(hook.displayURL) : value,
                        sensitive: attribute.sensitive, sensitiveHeaders: attribute.kind == .headers ? sensitiveNames(hook, [:]) : [])
        }
        return WebhookChange(action: .create, configID: configID, webhookID: nil, displayURL: hook.displayURL, fields: fields,
                             unverifiable: [], body: hook.attributes, desired: hook)
    }

    /// The differing managed attributes of a matched webhook, and the PATCH body that fixes them:
    /// each attribute compared by its kind, in table order.
    private static func compare(_ hook: DesiredWebhook, with server: ServerWebhook, configID: String,
                                options: PlanOptions) -> WebhookChange {
        let want = hook.attributes
        var fields: [FieldChange] = []
        var body = WebhookAttributes()
        var unverifiable: [String] = []
        // With buffering off, the server's other buffer fields mean nothing (the Platform API even
        // nulls them): compare them only when the webhook itself sets them and the server reports them.
        let bufferingOff = !(want.bufferEnabled ?? server.bufferEnabled ?? false)
        for (attribute, wanted) in want.entries {
            let have = server[attribute]
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
            case .events, .boolean, .integer:
                if attribute.onlyWhileBuffering && bufferingOff && (hook.inheritedAttributes.contains(attribute.name) || have == nil) {
                    continue
                }
                guard !attribute.kind.same(wanted, have) else { continue }
                fields.append(FieldChange(name: attribute.name, before: have ?? .null, after: wanted, sensitive: attribute.sensitive))
            }
            body[attribute] = wanted
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

    /// Header names whose values must be masked: secret by declaration or by name.
    private static func sensitiveNames(_ hook: DesiredWebhook, _ server: [String: String]) -> Set<String> {
        var names = hook.sensitiveHeaders
        for name in Array((hook.attributes.headers ?? [:]).keys) + Array(server.keys) where Sensitivity.isSensitiveHeaderName(name) {
            names.insert(name.lowercased())
        }
        return names
    }
}
