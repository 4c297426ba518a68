import Foundation

/// A plan saved by `plan --out` and carried out by `apply PLAN.json`.
///
/// It records, per planned config, a fingerprint of every server webhook observed, and per write
/// the exact request body. Secrets are never stored: each is replaced by its `${VAR}` template and
/// a fingerprint of its value, so `apply` can resolve it again from the environment and refuse if
/// it no longer matches (a URL built with `${VAR}` is stored the same way).
///
/// Fingerprints are HMAC-SHA256 under a key derived from the **API key** and a random per-plan salt
/// (``KapsoClient/derivedKey(for:salt:)``). The file holds the salt but not the key, so the file
/// alone is no oracle: a wordlist cannot be tried against its secret fingerprints offline. `apply`
/// always has the API key, so it can check them; a `key_check` fingerprint tells it when the plan
/// was made with another key.
public struct SavedPlan: Sendable {
    public static let kind = "kapsoctl-plan"
    /// 2: fingerprints keyed by the API key (format 1 keyed them by the salt alone).
    public static let formatVersion = 2
    static let keyPurpose = "kapsoctl saved plan fingerprints"

    /// One planned write.
    public struct Write: Sendable {
        public var action: ChangeAction
        public var configID: String
        public var webhookID: String?
        public var url: String
        /// The attribute names the request sets.
        public var fields: [String]
        /// The body as stored: secrets are `{"$secret": {"template", "fingerprint"}}` objects.
        var body: JSONValue?
    }

    public var apiURL: String
    public var createdAt: String
    var salt: [UInt8]
    /// HMAC of a fixed text under the fingerprint key: tells whether apply has the plan's API key.
    var keyCheck: String
    /// Per config id: webhook id → fingerprint of the object observed when planning.
    var observed: [String: [String: String]]
    public var writes: [Write]

    /// The configs the plan covers.
    public var configIDs: [String] { observed.keys.sorted() }

    // MARK: - Writing

    /// Records `plan`; fails when a secret to be sent is written literally in the spec (it could
    /// not be resolved again without storing it).
    public static func make(_ plan: Plan, observed: ObservedState, client: KapsoClient) throws(PlanFailure) -> SavedPlan {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let key = client.derivedKey(for: keyPurpose, salt: salt)
        var problems: [String] = []
        var writes: [Write] = []
        for change in plan.changes where change.isWrite {
            var body: JSONValue?
            if let attributes = change.body {
                switch protectedBody(attributes, change: change, key: key) {
                case .success(let value): body = value
                case .failure(let problem): problems.append(problem.message); continue
                }
            }
            writes.append(Write(action: change.action, configID: change.configID, webhookID: change.webhookID, url: change.displayURL,
                                fields: change.body?.setNames ?? [], body: body))
        }
        guard problems.isEmpty else { throw PlanFailure(problems) }
        var fingerprints: [String: [String: String]] = [:]
        for config in plan.configs {
            let hooks = observed.webhooks[config.id] ?? []
            fingerprints[config.id] = Dictionary(hooks.map { ($0.id, fingerprint($0, key: key)) }) { first, _ in first }
        }
        let formatter = ISO8601DateFormatter()
        return SavedPlan(apiURL: client.baseURL.absoluteString, createdAt: formatter.string(from: Date()), salt: salt,
                         keyCheck: keyCheck(key), observed: fingerprints, writes: writes)
    }

    /// The plan file's JSON.
    public func serialized() -> Data {
        let document = JSONValue.object([
            "kind": .string(Self.kind),
            "format_version": .int(Self.formatVersion),
            "created_at": .string(createdAt),
            "api_url": .string(apiURL),
            "salt": .string(SHA256.hex(salt)),
            "key_check": .string(keyCheck),
            "configs": .array(observed.keys.sorted().map { id in
                .object(["id": .string(id), "observed": .object((observed[id] ?? [:]).mapValues(JSONValue.string))])
            }),
            "changes": .array(writes.map { write in
                .object([
                    "action": .string(write.action.rawValue),
                    "config_id": .string(write.configID),
                    "webhook_id": write.webhookID.map(JSONValue.string) ?? .null,
                    "url": .string(write.url),
                    "fields": .array(write.fields.map(JSONValue.string)),
                    "body": write.body ?? .null,
                ])
            }),
        ])
        return document.pretty()
    }

    private static func protectedBody(_ attributes: WebhookAttributes, change: WebhookChange,
                                      key: [UInt8]) -> Result<JSONValue, Problem> {
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(attributes), case .object(var object)? = try? JSONValue.parse(data) else {
            return .failure(Problem("cannot encode the request for \(change.url)"))
        }
        let place = change.desired.map { "\($0.location): " } ?? ""
        func protect(_ value: String, template: String?, what: String) -> Result<JSONValue, Problem> {
            guard let template, template.contains("${") else {
                return .failure(Problem("\(place)\(what) of \(change.displayURL) is written literally in the spec; a saved plan records only secrets that come from ${VAR}"))
            }
            return .success(.object(["$secret": .object([
                "template": .string(template),
                "fingerprint": .string(secretFingerprint(value, key: key)),
            ])]))
        }
        // A URL built from the environment is stored like a secret: its template and a fingerprint.
        if let url = attributes.url, let template = change.desired?.secretTemplates.url {
            switch protect(url, template: template, what: "url") {
            case .success(let value): object["url"] = value
            case .failure(let problem): return .failure(problem)
            }
        }
        if let secret = attributes.secretKey {
            switch protect(secret, template: change.desired?.secretTemplates.secretKey, what: "secret_key") {
            case .success(let value): object["secret_key"] = value
            case .failure(let problem): return .failure(problem)
            }
        }
        if let headers = attributes.headers {
            var protected: [String: JSONValue] = [:]
            for (name, value) in headers {
                let lower = name.lowercased()
                let sensitive = (change.desired?.sensitiveHeaders.contains(lower) ?? false) || Sensitivity.isSensitiveHeaderName(name)
                guard sensitive else {
                    protected[name] = .string(value)
                    continue
                }
                switch protect(value, template: change.desired?.secretTemplates.headers[lower], what: "header \(name)") {
                case .success(let stored): protected[name] = stored
                case .failure(let problem): return .failure(problem)
                }
            }
            object["headers"] = .object(protected)
        }
        return .success(.object(object))
    }

    // MARK: - Reading

    /// Parses a plan file; errors name the file and what is wrong.
    public static func load(_ data: Data, path: String) throws(PlanFailure) -> SavedPlan {
        func fail(_ message: String) -> PlanFailure { PlanFailure(["\(path): \(message)"]) }
        guard let document = try? JSONValue.parse(data), case .object(let top) = document else {
            throw fail("not a kapsoctl plan file (not JSON)")
        }
        guard top["kind"] == .string(kind) else { throw fail("not a kapsoctl plan file (no \"kind\": \"\(kind)\")") }
        guard top["format_version"] == .int(formatVersion) else {
            let found = top["format_version"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "missing"
            throw fail("plan format \(found) is not supported; this kapsoctl reads format \(formatVersion)")
        }
        guard case .string(let apiURL)? = top["api_url"], case .string(let saltHex)? = top["salt"],
              let salt = bytes(hex: saltHex), case .string(let keyCheck)? = top["key_check"],
              case .array(let configs)? = top["configs"], case .array(let changes)? = top["changes"] else {
            throw fail("the plan file is incomplete or damaged")
        }
        var observed: [String: [String: String]] = [:]
        for config in configs {
            guard case .string(let id)? = config["id"], case .object(let hooks)? = config["observed"] else {
                throw fail("a config entry is damaged")
            }
            var prints: [String: String] = [:]
            for (hook, value) in hooks {
                guard case .string(let print) = value else { throw fail("a fingerprint is damaged") }
                prints[hook] = print
            }
            observed[id] = prints
        }
        var writes: [Write] = []
        for change in changes {
            guard case .string(let actionText)? = change["action"], let action = ChangeAction(rawValue: actionText),
                  [.create, .update, .delete].contains(action),
                  case .string(let configID)? = change["config_id"], observed[configID] != nil,
                  case .string(let url)? = change["url"], case .array(let fields)? = change["fields"] else {
                throw fail("a change entry is damaged")
            }
            let webhookID: String? = if case .string(let id)? = change["webhook_id"] { id } else { nil }
            guard action == .create || webhookID != nil else { throw fail("a change entry has no webhook_id") }
            let body = change["body"].flatMap { $0 == .null ? nil : $0 }
            guard action == .delete || body != nil else { throw fail("a change entry has no body") }
            writes.append(Write(action: action, configID: configID, webhookID: webhookID, url: url,
                                fields: fields.compactMap { if case .string(let s) = $0 { s } else { nil } }, body: body))
        }
        let createdAt: String = if case .string(let date)? = top["created_at"] { date } else { "" }
        return SavedPlan(apiURL: apiURL, createdAt: createdAt, salt: salt, keyCheck: keyCheck, observed: observed, writes: writes)
    }

    /// Checks the plan against the server as it is now and the environment, and returns the writes
    /// to carry out, with their secrets resolved. Throws, listing every reason, when the server
    /// changed since the plan or a secret no longer matches.
    public func resolve(against current: ObservedState, environment: [String: String],
                        client: KapsoClient) throws(PlanFailure) -> [WebhookChange] {
        let key = client.derivedKey(for: Self.keyPurpose, salt: salt)
        guard Self.keyCheck(key) == keyCheck else {
            throw PlanFailure(["the plan was made with another API key than KAPSO_API_KEY holds now; nothing was written. Run 'kapsoctl plan --out' again with this key."])
        }
        var problems: [String] = []
        for (configID, saved) in observed.sorted(by: { $0.key < $1.key }) {
            let now = Dictionary((current.webhooks[configID] ?? []).map { ($0.id, $0) }) { first, _ in first }
            for (id, print) in saved.sorted(by: { $0.key < $1.key }) {
                guard let hook = now[id] else {
                    problems.append("config \(configID): webhook \(id) was deleted on the server since the plan")
                    continue
                }
                if Self.fingerprint(hook, key: key) != print {
                    problems.append("config \(configID): webhook \(id) (\(URLDisplay.masked(hook.url ?? ""))) was changed on the server since the plan")
                }
            }
            for (id, hook) in now.sorted(by: { $0.key < $1.key }) where saved[id] == nil {
                problems.append("config \(configID): webhook \(id) (\(URLDisplay.masked(hook.url ?? ""))) was added on the server since the plan")
            }
        }
        var changes: [WebhookChange] = []
        for write in writes {
            var attributes: WebhookAttributes?
            if let body = write.body {
                switch resolveSecrets(body, environment: environment, url: write.url, key: key) {
                case .failure(let problem): problems.append(problem.message)
                case .success(let resolved):
                    attributes = try? JSONDecoder().decode(WebhookAttributes.self, from: resolved.serialized())
                    if attributes == nil { problems.append("the request body for \(write.url) is damaged") }
                }
            }
            changes.append(WebhookChange(action: write.action, configID: write.configID, webhookID: write.webhookID,
                                         url: attributes?.url ?? write.url, displayURL: write.url,
                                         fields: [], unverifiable: [], body: attributes, desired: nil))
        }
        guard problems.isEmpty else {
            throw PlanFailure(problems + ["the saved plan is stale; nothing was written. Run 'kapsoctl plan --out' again."])
        }
        return changes
    }

    private func resolveSecrets(_ value: JSONValue, environment: [String: String], url: String, key: [UInt8]) -> Result<JSONValue, Problem> {
        switch value {
        case .object(let object):
            if case .object(let secret)? = object["$secret"], object.count == 1 {
                guard case .string(let template)? = secret["template"], case .string(let print)? = secret["fingerprint"] else {
                    return .failure(Problem("a secret of \(url) is damaged in the plan file"))
                }
                let resolved: String
                do {
                    resolved = try Interpolation.expand(template, environment: environment).text
                } catch {
                    return .failure(Problem("a secret of \(url) cannot be resolved: \(error.message)"))
                }
                guard Self.secretFingerprint(resolved, key: key) == print else {
                    return .failure(Problem("the secret \(template) of \(url) no longer matches the value it had when the plan was made"))
                }
                return .success(.string(resolved))
            }
            var out: [String: JSONValue] = [:]
            for (name, item) in object {
                switch resolveSecrets(item, environment: environment, url: url, key: key) {
                case .success(let resolved): out[name] = resolved
                case .failure(let problem): return .failure(problem)
                }
            }
            return .success(.object(out))
        default:
            return .success(value)
        }
    }

    /// A reason a secret cannot be stored or resolved.
    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: - Fingerprints

    /// The id, `updated_at` and every attribute (sorted-key JSON) of a server webhook.
    static func fingerprint(_ hook: ServerWebhook, key: [UInt8]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let attributes = (try? encoder.encode(hook.attributes)) ?? Data()
        let message = Array("\(hook.id)\n\(hook.updatedAt ?? "")\n".utf8) + Array(attributes)
        return SHA256.hex(SHA256.hmac(key: key, message: message))
    }

    static func secretFingerprint(_ value: String, key: [UInt8]) -> String {
        SHA256.hex(SHA256.hmac(key: key, message: Array("secret:\(value)".utf8)))
    }

    static func keyCheck(_ key: [UInt8]) -> String {
        SHA256.hex(SHA256.hmac(key: key, message: Array("key check".utf8)))
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0, chars.count >= 32 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let byte = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}
