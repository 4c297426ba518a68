import Synchronization

/// Carries out a plan's writes: one request per changed webhook, independent requests concurrently.
public struct Executor: Sendable {
    public let client: KapsoClient
    public let parallelism: Int
    /// Asked before each request starts; false once the run was interrupted.
    public let shouldStart: @Sendable () -> Bool

    public init(client: KapsoClient, parallelism: Int, shouldStart: @escaping @Sendable () -> Bool = { true }) {
        self.client = client
        self.parallelism = parallelism
        self.shouldStart = shouldStart
    }

    /// Sends every write of `changes` and reports each outcome. `observed` is what the plan saw:
    /// a POST whose answer was lost is resolved by re-reading the config and looking for a new
    /// webhook with the URL, never by sending it again.
    public func apply(_ changes: [WebhookChange], observed: ObservedState) async -> ApplyReport {
        let writes = changes.filter(\.isWrite)
        let entries = await boundedMap(writes, limit: parallelism) { change in
            guard shouldStart() else { return ApplyReport.Entry(change: change, outcome: .notAttempted) }
            return ApplyReport.Entry(change: change, outcome: await perform(change, observed: observed))
        }
        return ApplyReport(entries: entries)
    }

    private func perform(_ change: WebhookChange, observed: ObservedState) async -> ApplyReport.Outcome {
        do throws(APIError) {
            switch change.action {
            case .create:
                let created = try await client.createWebhook(configID: change.configID, attributes: change.body ?? WebhookAttributes())
                return .done("created with id \(created.id)")
            case .update:
                _ = try await client.updateWebhook(configID: change.configID, id: change.webhookID ?? "",
                                                   attributes: change.body ?? WebhookAttributes())
                return .done("updated " + (change.body?.setNames.joined(separator: ", ") ?? ""))
            case .delete:
                try await client.deleteWebhook(configID: change.configID, id: change.webhookID ?? "")
                return .done("deleted")
            case .unchanged, .unmanaged:
                return .done("nothing to do")
            }
        } catch {
            if change.action == .delete, error.status == 404 {
                return .done("already gone (404)")
            }
            if change.action == .create, error.outcomeUnknown {
                return await resolveLostCreate(change, error: error, observed: observed)
            }
            return .failed(error.description)
        }
    }

    /// After a POST without a trustworthy answer: re-read the config; a webhook with the URL that
    /// was not there when planning means the POST took effect.
    private func resolveLostCreate(_ change: WebhookChange, error: APIError, observed: ObservedState) async -> ApplyReport.Outcome {
        let before = Set((observed.webhooks[change.configID] ?? []).map(\.id))
        do throws(APIError) {
            let now = try await client.listWebhooks(configID: change.configID)
            if let created = now.first(where: { URLIdentity.same($0.url, change.url) && !before.contains($0.id) }) {
                return .done("created with id \(created.id) (the answer was lost: \(error); confirmed by re-reading the config)")
            }
            return .failed("\(error); re-reading the config shows it was not created")
        } catch let reread {
            return .unknown("\(error); re-reading the config failed too (\(reread)): check before applying again")
        }
    }
}
