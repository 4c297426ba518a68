import Foundation

/// One HTTP request as the client hands it to a transport.
public struct HTTPRequestData: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// Seconds the whole exchange may take.
    public var timeout: TimeInterval

    public init(method: String, url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// One HTTP response. Header names are lowercased.
public struct HTTPResponseData: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    /// How many times the client sent the request to get this answer (set by the client).
    public var attempts = 1

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
        self.body = body
    }
}

/// Why a request got no HTTP response.
public enum TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request took longer than its timeout.
    case timedOut
    /// The connection failed or was dropped; whether the server acted on the request is unknown.
    case connection(String)
    /// The task was cancelled.
    case cancelled
    /// The answer cannot be used (e.g. its body is larger than the transport accepts).
    case invalidResponse(String)
    /// A secure connection that retrying cannot establish: the server's certificate does not
    /// verify, or a proxy refuses the tunnel. Never retried.
    case tls(String)

    /// In words, for logs and errors.
    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .connection(let detail): detail
        case .cancelled: "cancelled"
        case .invalidResponse(let detail): "unusable answer: \(detail)"
        case .tls(let detail): detail
        }
    }
}

/// Sends HTTP requests. The only way KapsoKit reaches the network, so every network behaviour is
/// testable against the simulator over real loopback HTTP.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws ``TransportFailure`` when no response arrived.
    func send(_ request: HTTPRequestData) async throws(TransportFailure) -> HTTPResponseData
}
