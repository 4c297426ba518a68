/// `verify` on a Platform webhook whose spec leaves `secret_key` out (Kapso generated it): the
/// delivery is signed with the secret the server returns for that webhook, read with the API key
/// and never printed — and only when the webhook is on the server at the URL the spec declares, so
/// the signature goes exactly where Kapso sends deliveries signed with that secret (a pull request
/// cannot pin another webhook's id to borrow its secret for a URL of its choosing).
public enum ServerSecrets {
    /// Why such a webhook cannot be signed before the server is read.
    public static let unread = "the spec leaves secret_key out (Kapso generates it) and KAPSO_API_KEY is not set, so kapsoctl cannot read the secret to sign with; set it, or use --via-kapso"

    /// Gives each item that needs it the server's secret, or says why there is none. `observed`
    /// is the live project read for the selected configs.
    public static func fill(_ items: inout [VerifyItem], configs: [DesiredConfig], observed: ObservedState) throws(PlanError) {
        guard items.contains(where: \.needsServerSecret) else { return }
        // Found on the server as `plan` finds it (and `--via-kapso`).
        let ids = try KapsoTestDeliveries.serverIDs(configs, observed: observed)
        let hooks = Dictionary(observed.all.map { ($0.id, $0) }) { first, _ in first }
        for index in items.indices where items[index].needsServerSecret {
            let item = items[index]
            guard let hook = ids[item.webhook.location].flatMap({ hooks[$0] }) else {
                items[index].cannot = "it is not on the server yet (kapsoctl apply creates it, and Kapso generates its secret_key)"
                continue
            }
            guard URLIdentity.same(hook.url, item.webhook.url) else {
                items[index].cannot = "the spec leaves secret_key out, and Kapso's secret belongs to the webhook at the URL Kapso has, not the one declared (apply first)"
                continue
            }
            guard let secret = hook.secretKey, !Planner.isHidden(secret) else {
                items[index].cannot = "the spec leaves secret_key out, and the server does not reveal the secret Kapso generated, so kapsoctl cannot sign as Kapso does; declare secret_key, or use --via-kapso"
                continue
            }
            items[index].serverSecret = secret
            items[index].cannot = EndpointVerifier.refusal(item.webhook.url)
        }
    }
}
