/// What one write asks of the API, with its body of type `Body`: the attributes themselves (the
/// executor's ``PlannedWrite``) or, in a saved plan, the same with secrets protected.
public enum WriteRequest<Body: Sendable>: Sendable {
    /// POST with every managed attribute (the URL among them).
    case create(Body)
    /// PATCH with only the differing attributes.
    case update(webhookID: String, Body)
    /// DELETE.
    case delete(webhookID: String)
    /// A new webhook POSTed with the whole declaration, then the webhook `deleting` in `in` (a
    /// `kind` or number it cannot change to) deleted.
    case replace(deleting: String, in: WebhookScope, Body)

    public var action: ChangeAction {
        switch self {
        case .create: .create
        case .update: .update
        case .delete: .delete
        case .replace: .replace
        }
    }

    /// The server webhook the request changes or deletes (for a replace, the one deleted).
    public var webhookID: String? {
        switch self {
        case .create: nil
        case .update(let id, _), .delete(let id), .replace(let id, _, _): id
        }
    }

    public var body: Body? {
        switch self {
        case .create(let body), .update(_, let body), .replace(_, _, let body): body
        case .delete: nil
        }
    }

    /// The same request with its body mapped.
    public func map<Other>(_ transform: (Body) -> Other) -> WriteRequest<Other> {
        switch self {
        case .create(let body): .create(transform(body))
        case .update(let id, let body): .update(webhookID: id, transform(body))
        case .delete(let id): .delete(webhookID: id)
        case .replace(let id, let from, let body): .replace(deleting: id, in: from, transform(body))
        }
    }
}

/// One request of an apply, with exactly the data it needs: produced by the planner (from a fresh
/// plan) and by ``SavedPlan`` (from a reviewed one), carried out by ``Executor``.
public struct PlannedWrite: Sendable {
    public typealias Request = WriteRequest<WebhookAttributes>

    /// Where the request goes (for a replace, where the new webhook is created).
    public var scope: WebhookScope
    /// The URL as outputs show it (never the real one, which may hold secrets).
    public var displayURL: String
    public var request: Request

    public init(scope: WebhookScope, displayURL: String, request: Request) {
        self.scope = scope
        self.displayURL = displayURL
        self.request = request
    }

    public var action: ChangeAction { request.action }

    /// The server webhook the request changes or deletes (for a replace, the one deleted).
    public var webhookID: String? { request.webhookID }

    /// The request body, when there is one. Holds real secrets: never rendered.
    public var body: WebhookAttributes? { request.body }

    /// What a report says about this write: no body, so no secret.
    public var summary: WriteSummary {
        WriteSummary(action: action, scope: scope, webhookID: webhookID, displayURL: displayURL, fields: body?.setNames ?? [])
    }
}

/// A write as reports show it: which webhook, which attributes — never a value.
public struct WriteSummary: Sendable, Equatable {
    public var action: ChangeAction
    public var scope: WebhookScope
    public var webhookID: String?
    public var displayURL: String
    /// The attributes the request sets.
    public var fields: [String]

    public init(action: ChangeAction, scope: WebhookScope, webhookID: String?, displayURL: String, fields: [String] = []) {
        self.action = action
        self.scope = scope
        self.webhookID = webhookID
        self.displayURL = displayURL
        self.fields = fields
    }
}
