/// The server's webhooks of each planned scope, as read.
public struct ObservedState: Sendable {
    /// By scope (as the run names it), in the server's order (most recent first). Every scope that
    /// was read is present, empty when it has no webhook.
    public var webhooks: [WebhookScope: [ServerWebhook]]

    public init(webhooks: [WebhookScope: [ServerWebhook]]) {
        self.webhooks = webhooks
    }

    /// Every webhook read, of every scope.
    public var all: [ServerWebhook] { webhooks.values.flatMap { $0 } }
}
