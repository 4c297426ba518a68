/// Reads the server's webhooks of several configs concurrently.
public enum StateReader {
    /// Every webhook of each config; a config the server does not know, or any failed read, is an
    /// error naming the config and keeping the API's answer.
    public static func read(configIDs: [String], client: KapsoClient, parallelism: Int) async -> Result<ObservedState, StateReadError> {
        let results = await boundedMap(configIDs, limit: parallelism) { id in
            ConfigRead(id: id, result: await readOne(id, client: client))
        }
        var webhooks: [String: [ServerWebhook]] = [:]
        var failures: [StateReadError.Failure] = []
        for read in results {
            switch read.result {
            case .success(let hooks): webhooks[read.id] = hooks
            case .failure(let error): failures.append(StateReadError.Failure(configID: read.id, error: error))
            }
        }
        return failures.isEmpty ? .success(ObservedState(webhooks: webhooks)) : .failure(StateReadError(failures: failures))
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

/// Configs whose webhooks could not be read, each with the API's answer.
public struct StateReadError: ReportedError, Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var configID: String
        public var error: APIError
    }

    public var failures: [Failure]

    public var report: String {
        failures.map { failure in
            failure.error.status == 404
                ? "error: config \(failure.configID): the server does not know this WhatsApp config (\(failure.error))"
                : "error: config \(failure.configID): cannot read its webhooks: \(failure.error)"
        }.joined(separator: "\n")
    }
}
