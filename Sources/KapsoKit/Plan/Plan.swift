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
    /// On the server, not declared, no prune: listed, never touched.
    case unmanaged
}

/// A value of a webhook attribute as plans show it.
public enum FieldValue: Sendable, Equatable {
    case null
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([String])
    case map([String: String])

    /// The value as JSON, for `--format json` and plan files.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .list(let items): .array(items.map(JSONValue.string))
        case .map(let map): .object(map.mapValues(JSONValue.string))
        }
    }
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
}

/// The plan for one webhook.
public struct WebhookChange: Sendable {
    public var action: ChangeAction
    public var configID: String
    /// The server id; nil on create.
    public var webhookID: String?
    /// The real URL (it may hold secrets): for identity and requests, never for output.
    public var url: String
    /// The URL as outputs show it (``URLDisplay``): a `${VAR}` shows its name, credentials are masked.
    public var displayURL: String
    /// The attributes that change (update), or that are set (create); empty otherwise.
    public var fields: [FieldChange]
    /// Managed attributes whose server value cannot be read (a secret the server does not reveal);
    /// not sent unless `--rotate-secrets`.
    public var unverifiable: [String]
    /// The POST or PATCH body: exactly the attributes to send. Holds real secrets; never rendered.
    public var body: WebhookAttributes?
    /// The declaration, when there is one.
    public var desired: DesiredWebhook?

    public init(action: ChangeAction, configID: String, webhookID: String?, url: String, displayURL: String? = nil,
                fields: [FieldChange], unverifiable: [String], body: WebhookAttributes? = nil,
                desired: DesiredWebhook? = nil) {
        self.action = action
        self.configID = configID
        self.webhookID = webhookID
        self.url = url
        self.displayURL = displayURL ?? URLDisplay.masked(url)
        self.fields = fields
        self.unverifiable = unverifiable
        self.body = body
        self.desired = desired
    }

    /// True for create, update and delete: the actions that send a request.
    public var isWrite: Bool { [.create, .update, .delete].contains(action) }
}

/// The plan for one config.
public struct ConfigPlan: Sendable {
    public var id: String
    public var name: String?
    /// Declared webhooks in file order, then server-only ones by URL and id.
    public var changes: [WebhookChange]
}

/// Counts per action.
public struct PlanSummary: Sendable, Equatable, Codable {
    public var create = 0
    public var update = 0
    public var delete = 0
    public var unchanged = 0
    public var unmanaged = 0

    public init() {}

    /// True when applying would send at least one request.
    public var hasChanges: Bool { create + update + delete > 0 }

    /// `Plan: N to create, N to update, N to delete, N unchanged, N unmanaged.`
    public var line: String {
        "Plan: \(create) to create, \(update) to update, \(delete) to delete, \(unchanged) unchanged, \(unmanaged) unmanaged."
    }
}

/// Everything `plan` found: per config, per webhook, what applying would do.
public struct Plan: Sendable {
    /// Sorted by config id.
    public var configs: [ConfigPlan]

    public init(configs: [ConfigPlan]) {
        self.configs = configs
    }

    /// Every webhook change in output order.
    public var changes: [WebhookChange] { configs.flatMap(\.changes) }

    public var summary: PlanSummary {
        var summary = PlanSummary()
        for change in changes {
            switch change.action {
            case .create: summary.create += 1
            case .update: summary.update += 1
            case .delete: summary.delete += 1
            case .unchanged: summary.unchanged += 1
            case .unmanaged: summary.unmanaged += 1
            }
        }
        return summary
    }
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

/// The server's webhooks of each planned config, as read.
public struct ObservedState: Sendable {
    /// By lowercased config id, in the server's order.
    public var webhooks: [String: [ServerWebhook]]

    public init(webhooks: [String: [ServerWebhook]]) {
        self.webhooks = webhooks
    }
}

/// Why no plan could be made: each message names the config, and the spec position when there is one.
public struct PlanFailure: Error, Sendable, CustomStringConvertible {
    public var messages: [String]

    public init(_ messages: [String]) {
        self.messages = messages
    }

    public var description: String { messages.map { "error: \($0)" }.joined(separator: "\n") }
}
