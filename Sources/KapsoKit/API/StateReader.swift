import Foundation

/// Reads the server's webhooks of the scopes a run plans.
///
/// Legacy configs are read one list per config, concurrently. The Platform API is read with one
/// paged read of the project-level list (every webhook of every number and of the project) and one
/// of the phone numbers, which checks that every declared number exists: a plan over 500 numbers
/// costs pages, not 500 requests.
public enum StateReader {
    /// `numbers`: the project's phone numbers when the caller has read them already (export lists
    /// them to know what to export): not read again.
    public static func read(scopes: [WebhookScope], client: KapsoClient, parallelism: Int,
                            numbers: [PhoneNumber]? = nil) async -> Result<ObservedState, StateReadError> {
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
            switch await readPlatform(platform, client: client, parallelism: parallelism, numbers: numbers) {
            case .success(let read): webhooks.merge(read) { _, new in new }
            case .failure(let failure): failures += failure.failures
            }
        }
        return failures.isEmpty ? .success(ObservedState(webhooks: webhooks)) : .failure(StateReadError(failures: failures))
    }

    /// The project list, grouped by scope, and the check that each declared number exists.
    private static func readPlatform(_ scopes: [WebhookScope], client: KapsoClient, parallelism: Int,
                                     numbers given: [PhoneNumber]?) async -> Result<[WebhookScope: [ServerWebhook]], StateReadError> {
        async let hooks = readAll(client)
        let declaresNumbers = scopes.contains { if case .phoneNumber = $0 { true } else { false } }
        let numbers: Result<[PhoneNumber], APIError> = if let given { .success(given) } else if declaresNumbers { await readNumbers(client) } else { .success([]) }
        var all: [ServerWebhook]
        switch await hooks {
        case .success(let list): all = list
        case .failure(let error): return .failure(StateReadError(failures: [.read(.project, error)]))
        }
        var known: [PhoneNumber]
        switch numbers {
        case .success(let list): known = list
        case .failure(let error): return .failure(StateReadError(failures: [.read(.project, error)]))
        }
        if all.contains(where: { !$0.placed }) {
            switch await place(&all, numbers: known, client: client, parallelism: parallelism) {
            case .success(let list): known = list
            case .failure(let failure): return .failure(failure)
            }
        }
        let ids = Set(known.map(\.phoneNumberID))
        var failures: [StateReadError.Failure] = []
        // Every scope the list shows (so a pin can find its webhook under another number), and
        // every declared one, empty when it has no webhook.
        var webhooks = Dictionary(grouping: all) { hook in hook.phoneNumberID.map(WebhookScope.phoneNumber) ?? .project }
        for scope in scopes {
            if case .phoneNumber(let id) = scope, !ids.contains(id) { failures.append(.unknownNumber(id, known: ids.count)) }
            webhooks[scope] = webhooks[scope] ?? []
        }
        return failures.isEmpty ? .success(webhooks) : .failure(StateReadError(failures: failures))
    }

    /// Places the webhooks the project list did not (an answer without `phone_number_id`, which the
    /// schema allows): every number's own list is read (`GET /whatsapp/phone_numbers/{pid}/webhooks`,
    /// a documented route), and a webhook is a number's when its list holds it — the project's only
    /// when no number's does, which the reads of every number prove. Nothing is guessed.
    private static func place(_ all: inout [ServerWebhook], numbers: [PhoneNumber], client: KapsoClient,
                              parallelism: Int) async -> Result<[PhoneNumber], StateReadError> {
        var numbers = numbers
        if numbers.isEmpty {
            switch await readNumbers(client) {
            case .success(let list): numbers = list
            case .failure(let error): return .failure(StateReadError(failures: [.read(.project, error)]))
            }
        }
        let reads = await boundedMap(numbers.map { WebhookScope.phoneNumber($0.phoneNumberID) }, limit: parallelism) { scope in
            ScopeRead(scope: scope, result: await readOne(scope, client: client))
        }
        var owner: [String: String] = [:]
        var failures: [StateReadError.Failure] = []
        for read in reads {
            switch read.result {
            case .success(let hooks):
                if case .phoneNumber(let id) = read.scope { for hook in hooks { owner[hook.id] = id } }
            case .failure(let error): failures.append(.read(read.scope, error))
            }
        }
        guard failures.isEmpty else { return .failure(StateReadError(failures: failures)) }
        for index in all.indices where !all[index].placed {
            all[index].phoneNumberID = owner[all[index].id]
            all[index].placed = true
        }
        return .success(numbers)
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
    /// Why a base URL is the other API generation's, or nil: the Platform API lives under
    /// `/platform/v1`, the legacy one under `/api/v1`.
    static func generationMismatch(_ api: APIGeneration, baseURL: String?) -> String? {
        guard let baseURL, let path = URL(string: baseURL)?.path else { return nil }
        let platform = path.contains("/platform/")
        switch api {
        case .platform where !platform:
            return "the spec is for the Platform API ('api: platform'), whose base URL is \(KapsoClient.defaultPlatformURL) (under /platform/v1), but the API URL is \(baseURL), the legacy API's: unset KAPSO_API_URL (or --api-url), or point it at the Platform API"
        case .legacy where platform:
            return "the spec is for the legacy API (no 'api:' or 'api: legacy'), whose base URL is \(KapsoClient.defaultBaseURL), but the API URL is \(baseURL), the Platform API's: unset KAPSO_API_URL (or --api-url), point it at the legacy API, or write the spec for 'api: platform'"
        default:
            return nil
        }
    }

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
        let answered = failures.compactMap { failure -> (WebhookScope, APIError)? in
            if case .read(let scope, let error) = failure, error.status != nil { return (scope, error) }
            return nil
        }
        if answered.count == failures.count, let (scope, first) = answered.first {
            // A refused key refuses every read: said once, with how to fix it.
            if answered.allSatisfy({ $0.1.status == 401 }) {
                let count = answered.count
                return "error: \(APIError.keyHint) (401 Unauthorized on \(count == 1 ? "the read" : "all \(count) reads"); the first: \(first.method) \(first.path))"
            }
            // The other generation's base URL answers 404 to every route of this one.
            if answered.allSatisfy({ $0.1.status == 404 }), let mismatch = Self.generationMismatch(scope.api, baseURL: first.baseURL) {
                return "error: \(mismatch) (404 Not Found on \(answered.count == 1 ? "the read" : "all \(answered.count) reads"); the first: \(first.method) \(first.path))"
            }
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
