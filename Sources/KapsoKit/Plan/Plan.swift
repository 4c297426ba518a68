/// What a webhook's plan entry does.
public enum ChangeAction: String, Sendable, Codable, CaseIterable {
    /// Declared, not on the server: POST.
    case create
    /// Declared and on the server with differing managed attributes: PATCH.
    case update
    /// On the server, not declared, and the config is pruned: DELETE.
    case delete
    /// Declared and equal on every managed attribute: no request.
    case unchanged
    /// On the server, not declared, no prune: listed, never touched, and drift (someone added it
    /// outside git).
    case unmanaged
    /// On the server, not declared, matching an `ignore:` pattern: another system owns it. Never
    /// touched, even with prune, and not drift.
    case ignored
    /// Platform API: declared with a `kind` or a phone number the server's webhook cannot change
    /// to: DELETE, then POST.
    case replace
}

/// One attribute that differs (or, on create, is set).
public struct FieldChange: Sendable, Equatable {
    public var name: String
    public var before: FieldValue
    public var after: FieldValue
    /// True when the values are secrets and must never be shown (`secret_key`).
    public var sensitive: Bool
    /// For `headers`: lowercased names whose values are secrets, shown masked.
    public var sensitiveHeaders: Set<String>

    public init(name: String, before: FieldValue, after: FieldValue, sensitive: Bool = false, sensitiveHeaders: Set<String> = []) {
        self.name = name
        self.before = before
        self.after = after
        self.sensitive = sensitive
        self.sensitiveHeaders = sensitiveHeaders
    }

    /// What the delivery history told of this change (`plan --health`): said instead of the
    /// generic note.
    public var healthNote: String?

    /// What a reader of this change should know, said on its line: `active: false → true` is how a
    /// webhook Kapso paused looks (Kapso pauses one whose deliveries keep failing, and never resumes it).
    public var note: String? {
        if let healthNote { return healthNote }
        if self == Self.generatedSecret { return Self.generatedNote }
        guard name == Attribute.active.name, before == .bool(false), after == .bool(true) else { return nil }
        return Self.pausedNote
    }

    /// A Platform create that leaves `secret_key` out: Kapso generates one (and returns it on reads,
    /// where `export` and `verify` find it). Nothing is sent for it.
    public static let generatedSecret = FieldChange(name: Attribute.secretKey.name, before: .null, after: .null, sensitive: true)
    public static let generatedNote = "Kapso generates it"

    public static let pausedNote = "Kapso pauses a webhook whose deliveries keep failing; applying resumes deliveries to a receiver that may still fail, so check it first with kapsoctl verify"
}

/// The plan for one webhook.
public struct WebhookChange: Sendable {
    public var action: ChangeAction
    /// Where the webhook is (after the change, for a replace that moves it to another number).
    public var scope: WebhookScope
    /// The server id; nil on create.
    public var webhookID: String?
    /// The URL as outputs show it (``URLDisplay``): a `${VAR}` shows its name, credentials are masked.
    public var displayURL: String
    /// The attributes that change (update), or that are set (create); empty otherwise.
    public var fields: [FieldChange]
    /// Managed attributes whose server value cannot be read (a secret the server does not reveal);
    /// not sent unless `--rotate-secrets`.
    public var unverifiable: [String]
    /// The request that carries the change out (create, update, delete); nil when there is none.
    public var write: PlannedWrite?
    /// The declaration, when there is one.
    public var desired: DesiredWebhook?

    /// `body` is the POST or PATCH body: exactly the attributes to send. `replacing` is the scope
    /// of the webhook a replace deletes (by default the change's own).
    public init(action: ChangeAction, scope: WebhookScope, webhookID: String?, displayURL: String,
                fields: [FieldChange], unverifiable: [String], body: WebhookAttributes? = nil,
                desired: DesiredWebhook? = nil, replacing: WebhookScope? = nil) {
        self.action = action
        self.scope = scope
        self.webhookID = webhookID
        self.displayURL = displayURL
        self.fields = fields
        self.unverifiable = unverifiable
        self.desired = desired
        let request: PlannedWrite.Request? = switch action {
        case .create: body.map { .create($0) }
        case .update: webhookID.flatMap { id in body.map { .update(webhookID: id, $0) } }
        case .delete: webhookID.map { .delete(webhookID: $0) }
        case .replace: webhookID.flatMap { id in body.map { .replace(deleting: id, in: replacing ?? scope, $0) } }
        case .unchanged, .unmanaged, .ignored: nil
        }
        write = request.map { PlannedWrite(scope: scope, displayURL: displayURL, request: $0) }
    }

    /// True for create, update and delete: the actions that send a request.
    public var isWrite: Bool { write != nil }

    /// The request body of the write, if any. Holds real secrets: never rendered.
    public var body: WebhookAttributes? { write?.body }
}

/// The plan for one scope: a config, a phone number or the project.
public struct ConfigPlan: Sendable {
    public var scope: WebhookScope
    public var name: String?
    /// Declared webhooks in file order, then server-only ones by URL and id.
    public var changes: [WebhookChange]
}

/// Counts per action.
public struct PlanSummary: Sendable, Equatable, Codable {
    public var create = 0
    public var update = 0
    public var delete = 0
    public var replace = 0
    public var unchanged = 0
    public var unmanaged = 0
    public var ignored = 0

    public init() {}

    /// The counts of these changes.
    public init(_ changes: some Sequence<WebhookChange>) {
        for change in changes {
            switch change.action {
            case .create: create += 1
            case .update: update += 1
            case .delete: delete += 1
            case .replace: replace += 1
            case .unchanged: unchanged += 1
            case .unmanaged: unmanaged += 1
            case .ignored: ignored += 1
            }
        }
    }

    /// The counts that are not zero, as `2 to create, 1 to update`; `nothing` when all are.
    public var nonZero: String {
        let parts = [(create, "to create"), (update, "to update"), (delete, "to delete"), (replace, "to replace"),
                     (unchanged, "unchanged"), (unmanaged, "unmanaged"), (ignored, "ignored")].filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }

    /// True when applying would send at least one request.
    public var hasChanges: Bool { create + update + delete + replace > 0 }

    /// True when the project differs from the spec: a change to make, or a webhook nobody declared
    /// (added outside git, perhaps by an attacker). `plan --detailed-exitcode` exits 2 then.
    public var hasDrift: Bool { hasChanges || unmanaged > 0 }

    /// `Plan: N to create, N to update, N to delete, N unchanged, N unmanaged.` (with `N to
    /// replace` after the deletes when there is a replace).
    public var line: String {
        "Plan: \(create) to create, \(update) to update, \(delete) to delete, "
            + (replace > 0 ? "\(replace) to replace, " : "") + "\(unchanged) unchanged, \(unmanaged) unmanaged"
            + (ignored > 0 ? ", \(ignored) ignored." : ".")
    }
}

/// Everything `plan` found: per scope, per webhook, what applying would do.
public struct Plan: Sendable {
    public var api: APIGeneration
    /// Sorted by scope.
    public var configs: [ConfigPlan]

    public init(api: APIGeneration = .legacy, configs: [ConfigPlan]) {
        self.api = api
        self.configs = configs
    }

    /// Every webhook change in output order.
    public var changes: [WebhookChange] { configs.flatMap(\.changes) }

    /// The requests that carry the plan out, in output order.
    public var writes: [PlannedWrite] { changes.compactMap(\.write) }

    public var summary: PlanSummary { PlanSummary(changes) }
}

/// Options that change what the planner decides.
public struct PlanOptions: Sendable {
    /// Delete undeclared webhooks in every config (as if each had `prune: true`).
    public var prune = false
    /// Send secrets the server does not reveal.
    public var rotateSecrets = false

    public init(prune: Bool = false, rotateSecrets: Bool = false) {
        self.prune = prune
        self.rotateSecrets = rotateSecrets
    }
}

/// Why no plan could be made.
public struct PlanError: ReportedError, Sendable, Equatable {
    /// One reason, at its declaration in the spec.
    public enum Problem: Sendable, Equatable {
        /// An `id:` pin names a webhook the server does not have.
        case unknownPin(SourceLocation, WebhookScope, id: String)
        /// Several server webhooks have the URL of a declaration without a pin.
        case ambiguousURL(SourceLocation, WebhookScope, url: String, ids: [String])
        /// A webhook to be created does not set an attribute the API requires on create.
        case cannotCreate(SourceLocation, WebhookScope, url: String, missing: [String])
        /// A `meta` webhook to be created on a number that keeps another (undeclared) one.
        case secondMeta(SourceLocation, WebhookScope, url: String, existing: String)
    }

    public var problems: [Problem]

    public init(_ problems: [Problem]) {
        self.problems = problems
    }

    /// Each problem in words (`url` is the URL as outputs show it).
    public var messages: [String] {
        problems.map { problem in
            switch problem {
            case .unknownPin(let place, let scope, let id):
                "\(place): \(scope): no webhook with id \(id) exists on the server; remove the 'id' pin to create a new webhook"
            case .ambiguousURL(let place, let scope, let url, let ids):
                "\(place): \(scope): \(ids.count) webhooks on the server have the url \(url) (ids \(ids.joined(separator: ", "))); pin the one to manage with 'id:'"
            case .cannotCreate(let place, let scope, let url, let missing):
                "\(place): \(scope): the webhook \(url) does not exist on the server and must be created, but it does not set \(missing.map { "'\($0)'" }.joined(separator: " and ")) (\(Self.requirement(scope)))"
            case .secondMeta(let place, let scope, let url, let existing):
                "\(place): \(scope): the 'meta' webhook \(url) would be a second one: the number already has the 'meta' webhook \(existing), which the spec does not declare, and a number holds at most one (the API refuses a second); declare that one (pin it with 'id: \(existing)' to change its URL) or prune it"
            }
        }
    }

    public var report: String { messages.map { "error: \($0)" }.joined(separator: "\n") }

    /// What the API requires on create, in words.
    private static func requirement(_ scope: WebhookScope) -> String {
        switch scope {
        case .config: "the API requires url, secret_key and events on create"
        case .phoneNumber: "the API requires url and secret_key on create, and events for a 'kapso' webhook"
        case .project: "the API requires url on create"
        }
    }
}
