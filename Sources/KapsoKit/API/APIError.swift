import Foundation

/// A failed API call: the request (method and path, never the host's key or a body) and why.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The server answered with this status.
        case status(Int)
        /// No answer within the timeout.
        case timedOut
        /// The connection failed or dropped.
        case connection(String)
        /// A 2xx whose body is not what the API documents.
        case invalidResponse(String)
        /// The run was cancelled.
        case cancelled
        /// No secure connection could be made, and trying again cannot make one (the server's
        /// certificate does not verify, a proxy refuses the tunnel): nothing reached the API.
        case tls(String)
        /// The request was not sent: it would have put text from a spec on the wire unsafely.
        case refused(String)

        var isConnection: Bool {
            if case .connection = self { return true }
            return false
        }
    }

    public var method: String
    /// The path and query below the base URL, e.g. `/whatsapp_configs/…/whatsapp_webhooks?page=1`.
    public var path: String
    public var reason: Reason
    /// The server's `error`/`message` text, with the API key and request secrets masked.
    public var serverMessage: String?
    /// How many times the request was sent.
    public var attempts: Int
    /// Seconds from the first attempt to giving up.
    public var seconds: TimeInterval = 0
    /// Set when retries stopped because the retry budget (this many seconds) was spent.
    public var retryBudget: TimeInterval?
    /// The base URL the request went to (set by the client).
    public var baseURL: String?

    /// `host` or `host:port` of ``baseURL``.
    public var host: String? {
        guard let baseURL, let url = URL(string: baseURL), let host = url.host else { return nil }
        return url.port.map { "\(host):\($0)" } ?? host
    }

    public init(method: String, path: String, reason: Reason, serverMessage: String? = nil, attempts: Int = 1) {
        self.method = method
        self.path = path
        self.reason = reason
        self.serverMessage = serverMessage
        self.attempts = attempts
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        if case .status(let code) = reason { return code }
        return nil
    }

    /// True when a write may or may not have been carried out: no answer, a 5xx, or an answer that
    /// cannot be read (a 2xx whose body is not the documented JSON may still have created something).
    public var outcomeUnknown: Bool {
        switch reason {
        case .timedOut, .connection, .invalidResponse: true
        case .status(let code): code >= 500
        case .cancelled, .tls, .refused: false
        }
    }

    public var description: String {
        var text = "\(method) \(path): "
        switch reason {
        case .status(let code): text += "\(code) \(Self.phrase(code))"
        case .timedOut: text += "timed out" + (host.map { " (no answer from \($0))" } ?? "")
        case .connection(let detail): text += Self.naming(host, in: detail)
        case .invalidResponse(let detail): text += "unexpected response (\(detail))"
        case .cancelled: text += "cancelled"
        case .tls(let detail): text += detail + (host.map { " (\($0))" } ?? "")
        case .refused(let detail): text += "not sent: " + detail
        }
        if let serverMessage, !serverMessage.isEmpty { text += ": \(serverMessage)" }
        if case .status(401) = reason { text += " (\(Self.keyHint))" }
        if case .status(422) = reason, let events = Self.refusedEvents(serverMessage), !events.isEmpty {
            let named = events.map { "'\(HumanText.escape($0))'" }.joined(separator: ", ")
            text += " (Kapso does not take the event\(events.count == 1 ? "" : "s") \(named) on this webhook: check the name; an event kapsoctl does not know is one Kapso may not have yet, so remove it from 'events' and 'extra_events')"
        }
        if retryBudget == 0 {
            text += " (not retried: the retry budget is 0 s; --retry-budget sets it)"
        } else if let retryBudget {
            text += " (gave up after \(attempts) attempts in \(Int(seconds.rounded())) s: the retry budget of \(Self.seconds(retryBudget)) is spent; --retry-budget sets it)"
        } else if attempts > 1 {
            text += " (after \(attempts) attempts)"
        }
        return text
    }

    /// A connection failure's words with the host in them ("could not connect to api.kapso.ai").
    private static func naming(_ host: String?, in detail: String) -> String {
        guard let host else { return detail }
        let connect = "could not connect to the host", resolve = "could not resolve the host name"
        if detail.hasPrefix(connect) { return "could not connect to \(host)" + detail.dropFirst(connect.count) }
        if detail.hasPrefix(resolve) { return "\(resolve) \(host)" + detail.dropFirst(resolve.count) }
        return detail.contains(host) ? detail : detail + " (\(host))"
    }

    /// What a 401 means and how to fix it.
    public static let keyHint = "the API refused the key in KAPSO_API_KEY: set it to an API key of this Kapso project, made in the Kapso dashboard (app.kapso.ai) under the project's API keys"

    /// The event names of Kapso's 422 `Events contains unsupported events: "NAME"` (several are
    /// quoted one by one), or nil for any other message.
    static func refusedEvents(_ message: String?) -> [String]? {
        guard let message, let range = message.range(of: "contains unsupported events:", options: .caseInsensitive) else { return nil }
        return message[range.upperBound...].split(separator: "\"", omittingEmptySubsequences: false).enumerated()
            .compactMap { $0.offset % 2 == 1 ? String($0.element) : nil }
    }

    private static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    static func phrase(_ code: Int) -> String {
        switch code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 402: "Payment Required"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 300..<400: "Redirect (not followed)"
        default: "HTTP error"
        }
    }
}

/// A setting of the client that cannot work (bad base URL, missing key).
public struct ClientConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
