import Foundation

/// One HTTP request as the client hands it to a transport.
public struct HTTPRequestData: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// Seconds the whole exchange may take.
    public var timeout: TimeInterval
    /// The address to connect to instead of resolving the URL's host (one already checked by the
    /// caller), so a second DNS answer cannot send the request elsewhere.
    public var pinnedAddress: String?

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
    /// The transport would not send the request (a header or the URL holds a control character,
    /// which would put another line on the wire). Nothing was sent; never retried.
    case refused(String)

    /// In words, for logs and errors.
    public var description: String {
        switch self {
        case .timedOut: "timed out"
        case .connection(let detail): detail
        case .cancelled: "cancelled"
        case .invalidResponse(let detail): "unusable answer: \(detail)"
        case .tls(let detail): detail
        case .refused(let detail): "not sent: \(detail)"
        }
    }
}

extension HTTPRequestData {
    /// Why this request must not go on the wire, or nil: a control character in the URL, a header
    /// name that is not an RFC 9110 token, or a CR, LF or NUL in a header value (each would let
    /// text from a spec or the environment add a header or a request of its own).
    public var wireProblem: String? {
        if url.absoluteString.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) { return "the URL holds a space or a control character" }
        for (name, value) in headers {
            if name.isEmpty || !name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) {
                return "a header name holds a character a header name cannot have"
            }
            if value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                return "the value of header \(name) holds a control character (a line break would start another header)"
            }
        }
        return nil
    }
}

/// Sends HTTP requests. The only way KapsoKit reaches the network, so every network behaviour is
/// testable against the simulator over real loopback HTTP.
public protocol HTTPTransport: Sendable {
    /// Sends `request`; throws ``TransportFailure`` when no response arrived.
    func send(_ request: HTTPRequestData) async throws(TransportFailure) -> HTTPResponseData
}
