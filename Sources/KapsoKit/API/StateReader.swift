/// Reads the server's webhooks of several configs concurrently.
public enum StateReader {
    /// Every webhook of each config; a config the server does not know, or any failed read, is an
    /// error naming the config.
    public static func read(configIDs: [String], client: KapsoClient, parallelism: Int) async -> Result<ObservedState, PlanFailure> {
        let results = await boundedMap(configIDs, limit: parallelism) { id in
            ConfigRead(id: id, result: await readOne(id, client: client))
        }
        var webhooks: [String: [ServerWebhook]] = [:]
        var problems: [String] = []
        for read in results {
            let id = read.id
            switch read.result {
            case .success(let hooks): webhooks[id] = hooks
            case .failure(let error) where error.status == 404:
                problems.append("config \(id): the server does not know this WhatsApp config (\(error))")
            case .failure(let error):
                problems.append("config \(id): cannot read its webhooks: \(error)")
            }
        }
        return problems.isEmpty ? .success(ObservedState(webhooks: webhooks)) : .failure(PlanFailure(problems))
    }

    private struct ConfigRead: Sendable {
        var id: String
        var result: Result<[ServerWebhook], APIError>
    }

    private static func readOne(_ id: String, client: KapsoClient) async -> Result<[ServerWebhook], APIError> {
        do {
            return .success(try await client.listWebhooks(configID: id))
        } catch {
            return .failure(error)
        }
    }
}
