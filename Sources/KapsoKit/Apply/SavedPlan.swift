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
    /// 3: the spec files' fingerprints (2: fingerprints keyed by the API key; 1 keyed them by the
    /// salt alone).
    public static let formatVersion = 3
    static let keyPurpose = "kapsoctl saved plan fingerprints"

    /// The file's top level.
    struct File: Codable {
        struct Config: Codable {
            var scope: WebhookScope
            /// Webhook id → fingerprint of the object observed when planning.
            var observed: [String: String]
        }

        /// The spec the plan was made from: the `-f` paths as given, and each file they named then
        /// with a fingerprint of its bytes.
        struct Spec: Codable {
            struct File: Codable, Equatable {
                var path: String
                var fingerprint: String
            }

            var paths: [String]
            var files: [File]
        }

        var kind: String
        var api: APIGeneration
        var spec: Spec
        /// The plan as `plan` showed it (for `kapsoctl show`), without a secret.
        var view: SavedPlanView
        var formatVersion: Int
        var createdAt: String
        var apiURL: String
        var salt: String
        var keyCheck: String
        var configs: [Config]
        var changes: [Write]

        enum CodingKeys: String, CodingKey {
            case kind, api, salt, configs, changes, spec, view
            case formatVersion = "format_version"
            case createdAt = "created_at"
            case apiURL = "api_url"
            case keyCheck = "key_check"
        }
    }

    /// Just enough to tell what a file is before decoding it whole.
    private struct Header: Decodable {
        var kind: String?
        var formatVersion: JSONValue?

        enum CodingKeys: String, CodingKey {
            case kind
            case formatVersion = "format_version"
        }
    }

    var file: File
    var salt: [UInt8]

    public var apiURL: String { file.apiURL }
    public var createdAt: String { file.createdAt }
    public var writes: [Write] { file.changes }
    /// The generation the plan was made for.
    public var api: APIGeneration { file.api }
    /// The plan as `plan` rendered it, for the renderers (no write in it; no secret).
    public var shownPlan: Plan { file.view.plan }
    /// The scopes the plan covers (every scope a replace touches among them).
    public var scopes: [WebhookScope] { file.configs.map(\.scope) }

    // MARK: - Writing

    /// Records `plan`, made from the spec `paths` named, whose files held `sources`; fails when a
    /// secret to be sent is written literally in the spec (it could not be resolved again without
    /// storing it), or when the spec came from standard input (there is no file to check again).
    public static func make(_ plan: Plan, observed: ObservedState, client: KapsoClient,
                            specPaths: [String], sources: [SpecSource]) throws(SavedPlanError) -> SavedPlan {
        guard !specPaths.contains(SpecLoader.standardInput) else { throw .specFromStandardInput }
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let key = client.derivedKey(for: keyPurpose, salt: salt)
        var problems: [String] = []
        var writes: [Write] = []
        for change in plan.changes {
            guard let write = change.write else { continue }
            var body: JSONValue?
            if let attributes = write.body {
                switch protectedBody(attributes, change: change, key: key) {
                case .success(let value): body = value
                case .failure(let problem): problems.append(problem.message); continue
                }
            }
            writes.append(Write(scope: write.scope, url: write.displayURL, fields: write.body?.setNames ?? [],
                                request: write.request.map { _ in body ?? .null }))
        }
        guard problems.isEmpty else { throw .literalSecrets(problems) }
        // Every scope the plan reads or writes: its own, and those replaces delete from.
        let scopes = Set(plan.configs.map(\.scope) + writes.compactMap(\.fromScope))
        let configs = scopes.sorted().map { scope in
            File.Config(scope: scope, observed: Dictionary((observed.webhooks[scope] ?? []).map { ($0.id, fingerprint($0, key: key)) }) { first, _ in first })
        }
        let spec = File.Spec(paths: specPaths, files: sources.map { File.Spec.File(path: $0.path, fingerprint: specFingerprint($0, key: key)) })
        let file = File(kind: kind, api: plan.api, spec: spec, view: SavedPlanView(plan), formatVersion: formatVersion, createdAt: ISOTime.string(Date()),
                        apiURL: client.baseURL.absoluteString, salt: SHA256.hex(salt), keyCheck: keyCheck(key),
                        configs: configs, changes: writes)
        return SavedPlan(file: file, salt: salt)
    }

    /// The plan file's JSON: indented, keys sorted, a final newline.
    public func serialized() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(file), let value = try? JSONValue.parse(data) else { return Data() }
        return value.pretty()
    }

    private static func protectedBody(_ attributes: WebhookAttributes, change: WebhookChange,
                                      key: [UInt8]) -> Result<JSONValue, Problem> {
        guard let data = try? JSONEncoder().encode(attributes), case .object(var object)? = try? JSONValue.parse(data) else {
            return .failure(Problem("cannot encode the request for \(change.displayURL)"))
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
        // A URL built from the environment is stored like a secret: its template and a fingerprint.
        if let url = attributes.url, let template = change.desired?.secretTemplates.url {
            switch protect(url, template: template, what: "url") {
            case .success(let value): object["url"] = value
            case .failure(let problem): return .failure(problem)
            }
        }
        return .success(.object(object))
    }

    // MARK: - Reading

    /// Parses a plan file; errors name the file and what is wrong.
    public static func load(_ data: Data, path: String) throws(SavedPlanError) -> SavedPlan {
        let decoder = JSONDecoder()
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw .notAPlan(path: path, reason: "not JSON")
        }
        guard header.kind == kind else { throw .notAPlan(path: path, reason: "no \"kind\": \"\(kind)\"") }
        guard header.formatVersion == .int(formatVersion) else {
            let found = header.formatVersion.map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "missing"
            throw .unsupportedFormat(path: path, found: found)
        }
        let file: File
        do {
            file = try decoder.decode(File.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.debugDescription.hasPrefix("a change entry") {
            throw .damaged(path: path, what: context.debugDescription)
        } catch {
            throw .damaged(path: path, what: "the plan file is incomplete or damaged")
        }
        guard let salt = bytes(hex: file.salt) else { throw .damaged(path: path, what: "the plan file is incomplete or damaged") }
        // Every write goes to a scope the plan observed (a replace's both scopes).
        let scopes = Set(file.configs.map(\.scope))
        for write in file.changes where !scopes.contains(write.scope) || !(write.fromScope.map(scopes.contains) ?? true) {
            throw .damaged(path: path, what: "a change entry is damaged")
        }
        return SavedPlan(file: file, salt: salt)
    }

    /// Checks, before anything is read from the server, that the spec files are those the plan was
    /// made from: the same files, byte for byte (so a plan made for one commit is not applied on
    /// another, whose spec may differ). Paths are read as the plan recorded them, relative to the
    /// working directory: `apply PLAN.json` runs where `plan --out` ran (the repository's root).
    public func checkSpec(client: KapsoClient) throws(SavedPlanError) {
        let key = client.derivedKey(for: Self.keyPurpose, salt: salt)
        guard Self.keyCheck(key) == file.keyCheck else { throw .otherAPIKey }
        var problems: [String] = []
        let saved = Dictionary(file.spec.files.map { ($0.path, $0.fingerprint) }) { first, _ in first }
        var now: [String] = []
        var missing: [String] = []
        for path in file.spec.paths {
            switch SpecLoader.expand(path) {
            case .success(let files): now += files
            case .failure:
                missing.append(path)
                problems.append("\(path) no longer exists (the plan was made from it)")
            }
        }
        for path in now {
            guard let print = saved[path] else {
                problems.append("\(path) was not among the spec files the plan was made from")
                continue
            }
            switch SpecLoader.read(path) {
            case .success(let source):
                if Self.specFingerprint(SpecSource(path: source.path, bytes: source.bytes), key: key) != print {
                    problems.append("\(path) has changed since the plan was made")
                }
            case .failure(let problem):
                problems.append("\(path): \(problem.message)")
            }
        }
        let present = Set(now)
        for path in file.spec.files.map(\.path) where !present.contains(path)
            && !missing.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
            problems.append("\(path) was a spec file of the plan and is gone")
        }
        guard problems.isEmpty else { throw .specChanged(problems) }
    }

    /// Checks the plan against the server as it is now and the environment, and returns the writes
    /// to carry out, with their secrets resolved. Throws, listing every reason, when the server
    /// changed since the plan or a secret no longer matches.
    public func resolve(against current: ObservedState, environment: [String: String],
                        client: KapsoClient) throws(SavedPlanError) -> [PlannedWrite] {
        // A plan with a problem is refused whole: its writes are never returned.
        let key = client.derivedKey(for: Self.keyPurpose, salt: salt)
        guard Self.keyCheck(key) == file.keyCheck else { throw .otherAPIKey }
        var problems: [String] = []
        for config in file.configs {
            let saved = config.observed
            let now = Dictionary((current.webhooks[config.scope] ?? []).map { ($0.id, $0) }) { first, _ in first }
            for (id, print) in saved.sorted(by: { $0.key < $1.key }) {
                guard let hook = now[id] else {
                    problems.append("\(config.scope): webhook \(id) was deleted on the server since the plan")
                    continue
                }
                if Self.fingerprint(hook, key: key) != print {
                    problems.append("\(config.scope): webhook \(id) (\(URLDisplay.masked(hook.url ?? ""))) was changed on the server since the plan")
                }
            }
            for (id, hook) in now.sorted(by: { $0.key < $1.key }) where saved[id] == nil {
                problems.append("\(config.scope): webhook \(id) (\(URLDisplay.masked(hook.url ?? ""))) was added on the server since the plan")
            }
        }
        let writes = file.changes.map { write in
            write.planned { body in
                switch resolveSecrets(body, environment: environment, url: write.url, key: key) {
                case .failure(let problem):
                    problems.append(problem.message)
                case .success(let resolved):
                    if let decoded = try? JSONDecoder().decode(WebhookAttributes.self, from: resolved.serialized()) { return decoded }
                    problems.append("the request body for \(write.url) is damaged")
                }
                return WebhookAttributes()
            }
        }
        guard problems.isEmpty else { throw .stale(problems) }
        return writes
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
                    resolved = try Interpolation.expand(template, variables: SpecVariables(environment: environment)).text
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

    /// A spec file's path and bytes, under the plan's key: the file alone is no oracle for a
    /// secret written in it.
    static func specFingerprint(_ source: SpecSource, key: [UInt8]) -> String {
        SHA256.hex(SHA256.hmac(key: key, message: Array("spec:\(source.path)\n".utf8) + source.bytes))
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
