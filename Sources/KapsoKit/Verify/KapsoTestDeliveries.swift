/// `verify --via-kapso`: Kapso sends each webhook a test delivery (Platform API,
/// `POST /whatsapp/webhooks/{id}/test`), found on the server as `plan` finds it.
public enum KapsoTestDeliveries {
    /// The server id of each declared webhook that is on the server (by its declaration's place).
    public static func serverIDs(_ configs: [DesiredConfig], observed: ObservedState) throws(PlanError) -> [SourceLocation: String] {
        let plan = try Planner.plan(configs, observed: observed, options: PlanOptions())
        var ids: [SourceLocation: String] = [:]
        for change in plan.changes {
            if let desired = change.desired, let id = change.webhookID, change.action != .replace { ids[desired.location] = id }
        }
        return ids
    }

    /// What `--dry-run` says it would ask.
    public static func dryRun(_ item: VerifyItem, id: String?) -> VerifyOutcome {
        let line = id.map { id in
            "would ask Kapso: POST /whatsapp/webhooks/\(id)/test" + (item.event.map { " {\"event_type\": \"\($0)\"}" } ?? " {}")
        } ?? "would not ask: not on the server (apply first)"
        return VerifyOutcome(item: item, lines: [line], failed: false)
    }

    /// Asks Kapso for each item's test delivery, `parallelism` at once, and reports each answer.
    public static func ask(_ items: [VerifyItem], ids: [SourceLocation: String], client: KapsoClient,
                           parallelism: Int) async -> [VerifyOutcome] {
        let asks = items.enumerated().compactMap { index, item in ids[item.webhook.location].map { (index, $0, item.event) } }
        let answers = await boundedMap(asks, limit: parallelism) { index, id, event -> (Int, String?) in
            do throws(APIError) {
                try await client.testWebhook(id: id, event: event)
                return (index, nil)
            } catch {
                return (index, error.description)
            }
        }
        let results = Dictionary(answers) { (first: String?, _: String?) in first }
        return items.enumerated().map { index, item -> VerifyOutcome in
            guard let outcome = results[index] else {
                return VerifyOutcome(item: item, lines: ["not verified: it is not on the server (kapsoctl apply creates it)"], failed: true)
            }
            if let failure = outcome { return VerifyOutcome(item: item, lines: ["failed: \(failure)"], failed: true) }
            return VerifyOutcome(item: item, lines: ["queued: Kapso accepted the test and will deliver it to the endpoint (its answer shows in Kapso's delivery logs, not here)"], failed: false)
        }
    }
}
