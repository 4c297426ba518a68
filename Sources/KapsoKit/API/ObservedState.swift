/// The server's webhooks of each planned config, as read.
public struct ObservedState: Sendable {
    /// By config id (as the run sends it), in the server's order (most recent first).
    public var webhooks: [String: [ServerWebhook]]

    public init(webhooks: [String: [ServerWebhook]]) {
        self.webhooks = webhooks
    }
}
