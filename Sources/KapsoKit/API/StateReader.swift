/// Reads the server's webhooks of several configs concurrently.
public enum StateReader {
    /// Every webhook of each config; a config the server does not know, or any failed read, is an
    /// error naming the config.
    public static func read(configIDs: [String], client: KapsoClient, parallelism: Int) async -> Result<ObservedState, PlanFailure> {
        let results = await boundedMap(configIDs, limit: parallelism) { id in
            do throws(APIError) {
                return (id, Result<[ServerWebhook], APIError>.success(try await client.listWebhooks(configID: id)))
            } catch {
                return (id, .failure(error))
            }
        }
        var webhooks: [String: [ServerWebhook]] = [:]
        var problems: [String] = []
        for (id, result) in results {
            switch result {
            case .success(let hooks): webhooks[id] = hooks
            case .failure(let error) where error.status == 404:
                problems.append("config \(id): the server does not know this WhatsApp config (\(error))")
            case .failure(let error):
                problems.append("config \(id): cannot read its webhooks: \(error)")
            }
        }
        return problems.isEmpty ? .success(ObservedState(webhooks: webhooks)) : .failure(PlanFailure(problems))
    }
}
