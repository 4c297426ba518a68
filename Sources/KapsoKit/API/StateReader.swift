import Foundation

/// Reads the server's webhooks of several configs concurrently.
public enum StateReader {
    /// Reads the configs `desired` declares, for planning. A config in which a declared URL is found
    /// more than once (which fails the plan) is read again, up to `settleReads` times `settlePause`
    /// seconds apart: a concurrent apply of the same spec may be about to delete its copy.
    public static func read(for desired: [DesiredConfig], client: KapsoClient, parallelism: Int,
                            settlePause: TimeInterval = 2, settleReads: Int = 3) async -> Result<ObservedState, PlanFailure> {
        var state: ObservedState
        switch await read(configIDs: desired.map(\.id), client: client, parallelism: parallelism) {
        case .success(let read): state = read
        case .failure(let failure): return .failure(failure)
        }
        for _ in 0..<settleReads {
            let ambiguous = Planner.ambiguousConfigs(desired, observed: state)
            guard !ambiguous.isEmpty else { break }
            try? await Task.sleep(nanoseconds: UInt64(settlePause * 1_000_000_000))
            switch await read(configIDs: ambiguous, client: client, parallelism: parallelism) {
            case .success(let again): state.webhooks.merge(again.webhooks) { _, new in new }
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(state)
    }

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
