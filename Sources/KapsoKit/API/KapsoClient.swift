import Foundation

/// The Kapso webhook API, both generations: the legacy API's config routes
/// (`/whatsapp_configs/{id}/whatsapp_webhooks`) and the Platform API's phone-number and project
/// routes (``WebhookRoutes``), chosen by a webhook's ``WebhookScope``.
///
/// Wraps request bodies in `whatsapp_webhook` and unwraps `data`; follows every page of a list;
/// retries by ``RetryPolicy``; reports failures as ``APIError`` with method, path and the server's
/// message, never the API key or a secret.
public struct KapsoClient: Sendable {
    /// The default base URL of the legacy API.
    public static let defaultBaseURL = "https://app.kapso.ai/api/v1"
    /// The default base URL of the Platform API.
    public static let defaultPlatformURL = "https://api.kapso.ai/platform/v1"

    /// The default base URL of a generation's API.
    public static func defaultBaseURL(for api: APIGeneration) -> String {
        api == .legacy ? defaultBaseURL : defaultPlatformURL
    }
    /// The largest page the API serves.
    public static let maxPageSize = 100

    public let baseURL: URL
    private let apiKey: String
    private let transport: any HTTPTransport
    public var timeout: TimeInterval
    public var retry: RetryPolicy
    public var logger: RequestLogger?
    /// Shared by every copy of this client, so all its requests pace together.
    let pacer: RequestPacer
    /// How many requests the caller keeps in flight: also how many pages of one list are read at once.
    public let parallelism: Int
    /// Shared too: whether the API has answered anything yet in this run.
    let reachability = Reachability()

    /// - Parameter parallelism: how many requests the caller keeps in flight; when the server's
    ///   remaining rate-limit budget falls to that, request starts are spaced out.
    public init(baseURL: URL, apiKey: String, transport: any HTTPTransport, timeout: TimeInterval = 30,
                retry: RetryPolicy = .standard, logger: RequestLogger? = nil, parallelism: Int = 8) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.transport = transport
        self.timeout = timeout
        self.retry = retry
        self.logger = logger
        self.parallelism = max(1, parallelism)
        pacer = RequestPacer(threshold: parallelism)
    }

    /// The same client (key, transport, timeout, retries, logger) for another base URL.
    func with(baseURL url: URL) -> KapsoClient {
        KapsoClient(baseURL: url, apiKey: apiKey, transport: transport, timeout: timeout, retry: retry, logger: logger, parallelism: parallelism)
    }

    /// Checks a base URL: `https://`, or `http://` only to a loopback host (for the simulator).
    public static func validateBaseURL(_ text: String) throws(ClientConfigurationError) -> URL {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url else {
            throw ClientConfigurationError(message: "the API URL '\(text)' is not an absolute http(s) URL")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil else {
            throw ClientConfigurationError(message: "the API URL must not carry credentials, a query or a fragment")
        }
        switch scheme {
        case "https": return url
        case "http" where LoopbackHost.contains(host): return url
        case "http": throw ClientConfigurationError(message: "the API URL must use https; plain http is allowed only to a loopback host (127.0.0.1, ::1, localhost)")
        default: throw ClientConfigurationError(message: "the API URL must use https, not '\(scheme)'")
        }
    }

    /// A key derived from the API key (HMAC-SHA256 of `purpose` and `salt`), for fingerprints in
    /// files: without the API key nobody can compute or check them. The key itself never leaves.
    public func derivedKey(for purpose: String, salt: [UInt8]) -> [UInt8] {
        SHA256.hmac(key: Array(apiKey.utf8), message: Array(purpose.utf8) + [0] + salt)
    }

    func decode<T: JSONReadable>(_ type: T.Type, _ response: HTTPResponseData, _ method: String, _ path: String) throws(APIError) -> T {
        guard let json = try? JSONValue.parse(response.body), let value = T(json: json) else {
            throw APIError(method: method, path: path, reason: .invalidResponse("the body is not the documented JSON"))
        }
        return value
    }

    /// Sends one request, retrying by the policy, and returns a 2xx response.
    /// `shownPath` is what logs and errors show instead of `path`, when that holds something secret.
    func perform(_ method: String, _ requestPath: String, shownPath: String? = nil, body: (any Encodable)? = nil,
                 secrets: [String] = []) async throws(APIError) -> HTTPResponseData {
        let trace = RequestTrace.current
        do {
            let response = try await attempts(method, requestPath, shownPath: shownPath, body: body, secrets: secrets)
            trace?.record(.init(method: method, status: response.status, attempts: response.attempts))
            return response
        } catch {
            trace?.record(.init(method: method, status: error.status, attempts: error.attempts))
            // Where it went: errors name the host, and the base URL tells a generation mismatch.
            var failure = error
            failure.baseURL = baseURL.absoluteString
            throw failure
        }
    }

    /// Sends one request until it succeeds or may not be tried again.
    private func attempts(_ method: String, _ requestPath: String, shownPath: String?, body: (any Encodable)?,
                          secrets: [String]) async throws(APIError) -> HTTPResponseData {
        let path = shownPath ?? requestPath
        var request = HTTPRequestData(method: method, url: URL(string: baseURL.absoluteString.trimmingSuffix("/") + requestPath)!,
                                      headers: ["X-API-Key": apiKey, "Accept": "application/json", "User-Agent": KapsoctlVersion.userAgent], timeout: timeout)
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            request.body = try? encoder.encode(body)
            request.headers["Content-Type"] = "application/json"
        }
        let idempotent = method != "POST"
        let started = Date()
        var attempt = 0
        var unanswered = 0
        // Waits the server announced (Retry-After): pacing, not counted against the retry budget.
        var announced: TimeInterval = 0
        while true {
            attempt += 1
            // A server that has answered nothing while several attempts went unanswered is not
            // there (a wrong address, a firewall that drops packets): every further request would
            // wait out its own timeouts and retries. Said once, early.
            if let first = reachability.unreachableBecause {
                throw APIError(method: method, path: path, reason: .connection(
                    "not sent: the API at \(baseURL.host ?? "?") has answered none of this run's requests (\(Reachability.unansweredLimit) attempts went unanswered, the first: \(first))"),
                    attempts: attempt - 1)
            }
            await pacer.waitTurn()
            let sent = Date()
            var failure: APIError
            var retryAfter: TimeInterval?
            // A 429's Retry-After is pacing; a 5xx's is an error's wait (within the budget).
            var pacing = false
            var entry = RequestLogEntry(method: method, path: path, status: nil, milliseconds: 0, attempt: attempt)
            let outcome = await sendOnce(request)
            entry.milliseconds = Int(Date().timeIntervalSince(sent) * 1000)
            let retryable: Bool
            switch outcome {
            case .success(var response):
                reachability.answered()
                await pacer.observe(status: response.status, headers: response.headers)
                entry.status = response.status
                if (200..<300).contains(response.status) {
                    logger?(entry)
                    response.attempts = attempt
                    return response
                }
                failure = APIError(method: method, path: path, reason: .status(response.status),
                                   serverMessage: serverMessage(response.body, secrets: secrets), attempts: attempt)
                // A 429 was refused unprocessed, so even a POST may go again; a 5xx only when idempotent.
                retryable = response.status == 429 || (response.status >= 500 && idempotent)
                retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
                pacing = response.status == 429
            case .failure(let error):
                unanswered += 1
                // No contact at all (no answer in time, no connection, no address); a server that
                // accepted the connection and dropped it is there.
                if error == .timedOut || { if case .connection(let detail) = error { detail.hasPrefix("could not connect") || detail.hasPrefix("could not resolve") } else { false } }() {
                    reachability.unanswered(error.description)
                }
                entry.failure = error.description
                let reason: APIError.Reason = switch error {
                case .timedOut: .timedOut
                case .connection(let detail): .connection(detail)
                case .cancelled: .cancelled
                case .invalidResponse(let detail): .invalidResponse(detail)
                case .tls(let detail): .tls(detail)
                case .refused(let detail): .refused(detail)
                }
                failure = APIError(method: method, path: path, reason: reason, attempts: attempt)
                // Only a lost answer is worth another try, and only when sending again is safe.
                retryable = idempotent && (reason == .timedOut || reason.isConnection)
            }
            failure.seconds = Date().timeIntervalSince(started)
            guard retryable else {
                logger?(entry)
                throw failure
            }
            switch retry.delay(afterAttempt: attempt, unanswered: unanswered, retryAfter: retryAfter,
                               elapsed: Date().timeIntervalSince(started) - announced, announced: announced, pacing: pacing) {
            case .failure(let stop):
                if stop.reason == .budget { failure.retryBudget = retry.budget }
                logger?(entry)
                throw failure
            case .success(let wait):
                if pacing && retryAfter != nil { announced += wait }
                entry.retryIn = wait
                logger?(entry)
                do {
                    try await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
                } catch {
                    throw failure
                }
            }
        }
    }

    private func sendOnce(_ request: HTTPRequestData) async -> Result<HTTPResponseData, TransportFailure> {
        do {
            return .success(try await transport.send(request))
        } catch {
            return .failure(error)
        }
    }

    /// The server's `error` and `message`, shortened, with the key and request secrets masked.
    private func serverMessage(_ body: Data, secrets: [String]) -> String? {
        guard let json = try? JSONValue.parse(body), let decoded = ErrorBody(json: json) else { return nil }
        let parts = [decoded.error, decoded.message].compactMap { $0 }.filter { !$0.isEmpty }
        var text = parts.count == 2 && parts[0] == parts[1] ? parts[0] : parts.joined(separator: ": ")
        for secret in [apiKey] + secrets where secret.count >= 4 {
            text = text.replacingOccurrences(of: secret, with: "(redacted)")
        }
        return text.isEmpty ? nil : String(text.prefix(500))
    }
}

extension ServerWebhook: Identifiable {}
extension WhatsAppConfig: Identifiable {}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Whether the API has answered at all in this run: after ``unansweredLimit`` attempts without an
/// answer and none with one, the client stops sending.
final class Reachability: Sendable {
    static let unansweredLimit = 3
    private let state = Locked((answered: false, unanswered: 0, first: ""))

    /// The first unanswered attempt's failure, once the API counts as unreachable.
    var unreachableBecause: String? {
        state.withLock { !$0.answered && $0.unanswered >= Self.unansweredLimit ? $0.first : nil }
    }
    func answered() { state.withLock { $0.answered = true } }
    func unanswered(_ why: String) {
        state.withLock {
            if $0.unanswered == 0 { $0.first = why }
            $0.unanswered += 1
        }
    }
}
