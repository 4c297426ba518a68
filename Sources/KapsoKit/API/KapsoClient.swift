import Foundation

/// The legacy Kapso webhook API (`/whatsapp_configs/{id}/whatsapp_webhooks`).
///
/// Wraps request bodies in `whatsapp_webhook` and unwraps `data`; follows every page of a list;
/// retries by ``RetryPolicy``; reports failures as ``APIError`` with method, path and the server's
/// message, never the API key or a secret.
public struct KapsoClient: Sendable {
    /// The default base URL of the legacy API.
    public static let defaultBaseURL = "https://app.kapso.ai/api/v1"
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
        pacer = RequestPacer(threshold: parallelism)
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

    // MARK: - Webhooks

    /// Every webhook of a config, in the server's order (most recent first), following every page.
    public func listWebhooks(configID: String) async throws(APIError) -> [ServerWebhook] {
        try await listAll(path: "/whatsapp_configs/\(Self.segment(configID))/whatsapp_webhooks")
    }

    /// The webhooks of a config whose URL contains `text` (`q[url_cont]`, every page): a targeted
    /// fresh read. The filter is not shown in logs or errors (a URL may hold a secret).
    public func listWebhooks(configID: String, urlContaining text: String) async throws(APIError) -> [ServerWebhook] {
        let value = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? ""
        return try await listAll(path: "/whatsapp_configs/\(Self.segment(configID))/whatsapp_webhooks",
                                 filter: "q%5Burl_cont%5D=\(value)&")
    }

    /// One webhook.
    public func getWebhook(configID: String, id: String) async throws(APIError) -> ServerWebhook {
        let response = try await perform("GET", webhookPath(configID, id))
        return try decode(DataEnvelope<ServerWebhook>.self, response, "GET", webhookPath(configID, id)).data
    }

    /// Creates a webhook with exactly the attributes given (POST, 201).
    /// A POST is never repeated after a connection failure or 5xx: the error says the outcome is unknown.
    public func createWebhook(configID: String, attributes: WebhookAttributes) async throws(APIError) -> ServerWebhook {
        let path = "/whatsapp_configs/\(Self.segment(configID))/whatsapp_webhooks"
        let response = try await perform("POST", path, body: WebhookBody(whatsappWebhook: attributes),
                                         secrets: Self.secrets(of: attributes))
        return try decode(DataEnvelope<ServerWebhook>.self, response, "POST", path).data
    }

    /// Changes exactly the attributes given (PATCH, 200).
    public func updateWebhook(configID: String, id: String, attributes: WebhookAttributes) async throws(APIError) -> ServerWebhook {
        let path = webhookPath(configID, id)
        let response = try await perform("PATCH", path, body: WebhookBody(whatsappWebhook: attributes),
                                         secrets: Self.secrets(of: attributes))
        return try decode(DataEnvelope<ServerWebhook>.self, response, "PATCH", path).data
    }

    /// Deletes a webhook (DELETE, 204).
    public func deleteWebhook(configID: String, id: String) async throws(APIError) {
        _ = try await perform("DELETE", webhookPath(configID, id))
    }

    // MARK: - Configs

    /// Every WhatsApp config of the project.
    public func listConfigs() async throws(APIError) -> [WhatsAppConfig] {
        try await listAll(path: "/whatsapp_configs")
    }

    // MARK: - Mechanics

    private func webhookPath(_ configID: String, _ id: String) -> String {
        "/whatsapp_configs/\(Self.segment(configID))/whatsapp_webhooks/\(Self.segment(id))"
    }

    private static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? text
    }

    /// Values that must not appear in an error even if the server echoes them.
    private static func secrets(of attributes: WebhookAttributes) -> [String] {
        [attributes.secretKey].compactMap { $0 } + (attributes.headers.map { Array($0.values) } ?? [])
    }

    /// How often a list that changed while being read is read again before giving up.
    static let listReads = 5

    /// Reads every page of a list at the largest page size. Pages are offsets, so a webhook created
    /// or deleted by someone else between two page reads shifts the rest: one webhook would be seen
    /// twice or never — and a webhook never seen would be planned as a create, a duplicate. A read
    /// whose pages do not add up (`total_count` changed, a page shorter than promised, an id seen
    /// twice, fewer items than counted) is read again from the first page.
    private func listAll<Item: Decodable & Sendable>(path: String, filter: String = "") async throws(APIError) -> [Item] where Item: Identifiable, Item.ID == String {
        var problem = ""
        for _ in 1...Self.listReads {
            switch try await readPages(path: path, filter: filter) as PagedRead<Item> {
            case .consistent(let items): return items
            case .shifted(let reason): problem = reason
            }
        }
        throw APIError(method: "GET", path: path + (filter.isEmpty ? "" : "?q[url_cont]=…"),
                       reason: .invalidResponse("the list kept changing while it was read (\(problem)), \(Self.listReads) reads in a row"))
    }

    private enum PagedRead<Item: Sendable>: Sendable {
        case consistent([Item])
        case shifted(String)
    }

    private func readPages<Item: Decodable & Sendable>(path: String, filter: String) async throws(APIError) -> PagedRead<Item> where Item: Identifiable, Item.ID == String {
        var items: [Item] = []
        var seen = Set<String>()
        var first: PageMeta?
        var page = 1
        while true {
            let query = "page=\(page)&per_page=\(Self.maxPageSize)"
            let shown = "\(path)?\(filter.isEmpty ? "" : "q[url_cont]=…&")\(query)"
            let response = try await perform("GET", "\(path)?\(filter)\(query)", shownPath: shown)
            let envelope = try decode(PageEnvelope<Item>.self, response, "GET", shown)
            for item in envelope.data {
                guard seen.insert(item.id).inserted else { return .shifted("webhook \(item.id) was listed twice") }
                items.append(item)
            }
            guard let meta = envelope.meta else {
                // No pagination data: a short or empty page is the last.
                if envelope.data.count < Self.maxPageSize || page >= 10_000 { return .consistent(items) }
                page += 1
                continue
            }
            if let first {
                if meta.totalCount != first.totalCount {
                    return .shifted("the count went from \(first.totalCount) to \(meta.totalCount)")
                }
            } else {
                first = meta
            }
            // A page bound keeps a misbehaving server from holding the client in a loop.
            let last = page >= meta.totalPages || envelope.data.isEmpty || page >= 10_000
            if last {
                guard items.count == meta.totalCount || page >= 10_000 else {
                    return .shifted("\(items.count) listed of \(meta.totalCount) counted")
                }
                return .consistent(items)
            }
            if envelope.data.count < meta.perPage {
                return .shifted("page \(page) held \(envelope.data.count) of \(meta.perPage)")
            }
            page += 1
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponseData, _ method: String, _ path: String) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw APIError(method: method, path: path, reason: .invalidResponse("the body is not the documented JSON"))
        }
    }

    /// Sends one request, retrying by the policy, and returns a 2xx response.
    /// `shownPath` is what logs and errors show instead of `path`, when that holds something secret.
    private func perform(_ method: String, _ requestPath: String, shownPath: String? = nil, body: (any Encodable)? = nil,
                         secrets: [String] = []) async throws(APIError) -> HTTPResponseData {
        let path = shownPath ?? requestPath
        var request = HTTPRequestData(method: method, url: URL(string: baseURL.absoluteString.trimmingSuffix("/") + requestPath)!,
                                      headers: ["X-API-Key": apiKey, "Accept": "application/json"], timeout: timeout)
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
        while true {
            attempt += 1
            await pacer.waitTurn()
            let sent = Date()
            var failure: APIError
            var retryAfter: TimeInterval?
            var entry = RequestLogEntry(method: method, path: path, status: nil, milliseconds: 0, attempt: attempt)
            let outcome = await sendOnce(request)
            entry.milliseconds = Int(Date().timeIntervalSince(sent) * 1000)
            let retryable: Bool
            switch outcome {
            case .success(let response):
                await pacer.observe(status: response.status, headers: response.headers)
                entry.status = response.status
                if (200..<300).contains(response.status) {
                    logger?(entry)
                    return response
                }
                failure = APIError(method: method, path: path, reason: .status(response.status),
                                   serverMessage: serverMessage(response.body, secrets: secrets), attempts: attempt)
                // A 429 was refused unprocessed, so even a POST may go again; a 5xx only when idempotent.
                retryable = response.status == 429 || (response.status >= 500 && idempotent)
                retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
            case .failure(let error):
                unanswered += 1
                entry.failure = error.description
                let reason: APIError.Reason = switch error {
                case .timedOut: .timedOut
                case .connection(let detail): .connection(detail)
                case .cancelled: .cancelled
                case .invalidResponse(let detail): .invalidResponse(detail)
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
                               elapsed: Date().timeIntervalSince(started)) {
            case .failure(let stop):
                if stop.reason == .budget { failure.retryBudget = retry.budget }
                logger?(entry)
                throw failure
            case .success(let wait):
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
        guard let decoded = try? JSONDecoder().decode(ErrorBody.self, from: body) else { return nil }
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
