/// Reads the server's webhooks of the scopes a run plans.
///
/// Legacy configs are read one list per config, concurrently. The Platform API is read with one
/// paged read of the project-level list (every webhook of every number and of the project) and one
/// of the phone numbers, which checks that every declared number exists: a plan over 500 numbers
/// costs pages, not 500 requests.
public enum StateReader {
    public static func read(scopes: [WebhookScope], client: KapsoClient, parallelism: Int) async -> Result<ObservedState, StateReadError> {
        let configs = scopes.filter { $0.api == .legacy }
        let platform = scopes.filter { $0.api == .platform }
        var webhooks: [WebhookScope: [ServerWebhook]] = [:]
        var failures: [StateReadError.Failure] = []
        let results = await boundedMap(configs, limit: parallelism) { scope in
            ScopeRead(scope: scope, result: await readOne(scope, client: client))
        }
        for read in results {
            switch read.result {
            case .success(let hooks): webhooks[read.scope] = hooks
            case .failure(let error): failures.append(.read(read.scope, error))
            }
        }
        if !platform.isEmpty {
            switch await readPlatform(platform, client: client) {
            case .success(let read): webhooks.merge(read) { _, new in new }
            case .failure(let failure): failures += failure.failures
            }
        }
        return failures.isEmpty ? .success(ObservedState(webhooks: webhooks)) : .failure(StateReadError(failures: failures))
    }

    /// The project list, grouped by scope, and the check that each declared number exists.
    private static func readPlatform(_ scopes: [WebhookScope], client: KapsoClient) async -> Result<[WebhookScope: [ServerWebhook]], StateReadError> {
        async let hooks = readAll(client)
        let numbers = scopes.contains { if case .phoneNumber = $0 { true } else { false } } ? await readNumbers(client) : .success([])
        let all: [ServerWebhook]
        switch await hooks {
        case .success(let list): all = list
        case .failure(let error): return .failure(StateReadError(failures: [.read(.project, error)]))
        }
        let known: Set<String>
        switch numbers {
        case .success(let list): known = Set(list.map(\.phoneNumberID))
        case .failure(let error): return .failure(StateReadError(failures: [.read(.project, error)]))
        }
        var failures: [StateReadError.Failure] = []
        // Every scope the list shows (so a pin can find its webhook under another number), and
        // every declared one, empty when it has no webhook.
        var webhooks = Dictionary(grouping: all) { hook in hook.phoneNumberID.map(WebhookScope.phoneNumber) ?? .project }
        for scope in scopes {
            if case .phoneNumber(let id) = scope, !known.contains(id) { failures.append(.unknownNumber(id, known: known.count)) }
            webhooks[scope] = webhooks[scope] ?? []
        }
        return failures.isEmpty ? .success(webhooks) : .failure(StateReadError(failures: failures))
    }

    private struct ScopeRead: Sendable {
        var scope: WebhookScope
        var result: Result<[ServerWebhook], APIError>
    }

    private static func readOne(_ scope: WebhookScope, client: KapsoClient) async -> Result<[ServerWebhook], APIError> {
        do {
            return .success(try await client.listWebhooks(in: scope))
        } catch {
            return .failure(error)
        }
    }

    private static func readAll(_ client: KapsoClient) async -> Result<[ServerWebhook], APIError> {
        do {
            return .success(try await client.listProjectWebhooks())
        } catch {
            return .failure(error)
        }
    }

    private static func readNumbers(_ client: KapsoClient) async -> Result<[PhoneNumber], APIError> {
        do {
            return .success(try await client.listPhoneNumbers())
        } catch {
            return .failure(error)
        }
    }
}

/// Scopes whose webhooks could not be read, each with the API's answer.
public struct StateReadError: ReportedError, Sendable, Equatable {
    public enum Failure: Sendable, Equatable {
        /// Reading the scope's list failed.
        case read(WebhookScope, APIError)
        /// A declared phone number is not among the project's numbers.
        case unknownNumber(String, known: Int)
    }

    public var failures: [Failure]

    public var report: String {
        // A connection that cannot be secured fails every read alike: said once.
        if let first = failures.first, case .read(_, let error) = first, case .tls = error.reason,
           failures.allSatisfy({ if case .read(_, let other) = $0 { other.reason == error.reason } else { false } }) {
            let count = failures.count
            return "error: cannot connect securely to the API (\(count) read\(count == 1 ? "" : "s") failed, none retried): \(error)"
        }
        // An API that answers nothing fails every read alike: said once, with the first reason.
        let unanswered = failures.compactMap { failure -> APIError? in
            if case .read(_, let error) = failure, error.reason == .timedOut || error.reason.isConnection { return error }
            return nil
        }
        if failures.count > 1, unanswered.count == failures.count, let first = unanswered.first {
            return "error: the API does not answer, so nothing was read (\(failures.count) reads failed alike): \(first)"
        }
        return failures.map { failure in
            switch failure {
            case .read(.config(let id), let error) where error.status == 404:
                "error: config \(id): the server does not know this WhatsApp config (\(error))"
            case .read(.config(let id), let error):
                "error: config \(id): cannot read its webhooks: \(error)"
            case .read(_, let error):
                "error: cannot read the project's webhooks: \(error)"
            case .unknownNumber(let id, let known):
                "error: phone number \(id) is not in the project (the API lists \(known) number\(known == 1 ? "" : "s")); check its 'phone_number_id' (Meta's id of the number, not the display number)"
            }
        }.joined(separator: "\n")
    }
}
