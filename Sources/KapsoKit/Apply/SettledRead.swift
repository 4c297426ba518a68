import Foundation

/// Reading the server for an apply: a config in which a declared URL is found more than once (which
/// fails the plan) is read again, up to `settleReads` times `settlePause` seconds apart, because a
/// concurrent apply of the same spec may be about to delete its copy.
public enum SettledRead {
    public static func read(for desired: [DesiredConfig], client: KapsoClient, parallelism: Int,
                            settlePause: TimeInterval = 2, settleReads: Int = 3) async -> Result<ObservedState, StateReadError> {
        var state: ObservedState
        switch await StateReader.read(scopes: desired.map(\.scope), client: client, parallelism: parallelism) {
        case .success(let read): state = read
        case .failure(let failure): return .failure(failure)
        }
        for _ in 0..<settleReads {
            let ambiguous = Planner.ambiguousConfigs(desired, observed: state)
            guard !ambiguous.isEmpty else { break }
            try? await Task.sleep(nanoseconds: UInt64(settlePause * 1_000_000_000))
            switch await StateReader.read(scopes: ambiguous, client: client, parallelism: parallelism) {
            case .success(let again): state.webhooks.merge(again.webhooks) { _, new in new }
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(state)
    }
}
