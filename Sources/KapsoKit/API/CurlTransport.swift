import CCurl
import Foundation
import Synchronization

/// ``HTTPTransport`` over libcurl's easy interface, called directly.
///
/// kapsoctl first used Foundation's `URLSession`, which on Linux runs on libcurl too but hides it:
/// it pins libcurl's CA bundle to the system's (so `SSL_CERT_FILE` did nothing and a CI runner
/// behind TLS inspection could not be configured), and reports every TLS problem as one opaque
/// error code. Driving libcurl itself gives:
///
/// - **CA bundle**: `SSL_CERT_FILE` (a PEM file) and `SSL_CERT_DIR` (a hashed directory), the
///   variables OpenSSL-based tools read, replace the system's trust store;
/// - **proxies**: libcurl's own `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY` (lower case only, for
///   `http://`), `ALL_PROXY` and `NO_PROXY`, including CONNECT tunnels for `https://`;
/// - **failures in words**, and a certificate that does not verify told apart from a dropped
///   connection (``TransportFailure/tls(_:)``, which is never retried).
///
/// Reads reuse kept-alive connections (a pool of easy handles, one per request in flight). Every
/// request that carries a body or changes something gets a fresh connection that is closed after
/// it, so a write is never sent on a connection the server has just closed — where a client could
/// resend it, or send its head without its body. There are no cookies and no cache, and redirects
/// are not followed (a 3xx is returned as it is, so the API key never leaves the API host). The
/// answer's size is bounded, and the request's deadline is hard.
///
/// Each exchange runs on a thread of its own, which libcurl blocks while it runs; requests in flight
/// are bounded by the client's parallelism (at most 64).
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    /// An easy handle, owned by one exchange at a time (or idle in the pool).
    private struct Handle: @unchecked Sendable {
        let raw: UnsafeMutableRawPointer
    }

    private let pool = Mutex<[Handle]>([])
    private let poolSize: Int
    private let maxResponseBytes: Int
    private let trust: Trust

    /// Where trusted CA certificates come from.
    public struct Trust: Sendable, Equatable {
        /// A PEM file (`SSL_CERT_FILE`), or nil for the system's.
        public var caFile: String?
        /// A directory of hashed certificates (`SSL_CERT_DIR`), or nil for the system's.
        public var caDirectory: String?

        public init(caFile: String? = nil, caDirectory: String? = nil) {
            self.caFile = caFile
            self.caDirectory = caDirectory
        }

        /// `SSL_CERT_FILE` and `SSL_CERT_DIR` from `environment`; a path that cannot be read is
        /// an error that names the variable.
        public static func from(environment: [String: String]) throws(ClientConfigurationError) -> Trust {
            var trust = Trust()
            if let file = environment["SSL_CERT_FILE"], !file.isEmpty {
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw ClientConfigurationError(message: "SSL_CERT_FILE names \(file), which cannot be read; it must be a PEM file of the CA certificates to trust")
                }
                trust.caFile = file
            }
            if let directory = environment["SSL_CERT_DIR"], !directory.isEmpty {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ClientConfigurationError(message: "SSL_CERT_DIR names \(directory), which is not a directory; it must hold hashed CA certificates (c_rehash)")
                }
                trust.caDirectory = directory
            }
            return trust
        }
    }

    /// - Parameters:
    ///   - maxConnectionsPerHost: kept-alive read connections (the run's parallelism).
    ///   - maxResponseBytes: a longer response body is refused (a page of 100 webhooks is ~100 KB).
    ///   - trust: the CA certificates to trust (default: the system's).
    public init(maxConnectionsPerHost: Int = 8, maxResponseBytes: Int = 64 << 20, trust: Trust = Trust()) {
        Self.globalInit
        poolSize = max(1, maxConnectionsPerHost)
        self.maxResponseBytes = maxResponseBytes
        self.trust = trust
    }

    deinit {
        for handle in pool.withLock({ $0 }) { curl_easy_cleanup(handle.raw) }
    }

    /// libcurl's process-wide set-up, once (Foundation may have done it too; it counts).
    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    public func send(_ request: HTTPRequestData) async throws(TransportFailure) -> HTTPResponseData {
        let exchange = Exchange(request: request, maxResponseBytes: maxResponseBytes)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponseData, TransportFailure>, Never>) in
                // A thread of its own: libcurl blocks it for the whole exchange, and a shared pool
                // (Dispatch's) starts too few threads for blocked ones and let requests queue past
                // their deadline.
                let thread = Thread {
                    continuation.resume(returning: self.perform(exchange))
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
        } onCancel: {
            exchange.cancel()
        }
        return try result.get()
    }

    // MARK: - One exchange

    private func perform(_ exchange: Exchange) -> Result<HTTPResponseData, TransportFailure> {
        let request = exchange.request
        // The second line of defence: the spec's rules refuse these first.
        if let problem = request.wireProblem { return .failure(.refused(problem)) }
        let method = request.method.uppercased()
        let reusesConnections = request.body == nil && (method == "GET" || method == "HEAD")
        guard let handle = (reusesConnections ? takePooled() : nil) ?? curl_easy_init() else {
            return .failure(.connection("the HTTP library could not start a request"))
        }
        var keep = false
        defer {
            if keep { givePooled(handle) } else { curl_easy_cleanup(handle) }
        }
        // A pooled handle keeps its connections and DNS cache; every option is set again.
        curl_easy_reset(handle)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        var resolveList: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_slist_free_all(headerList)
            curl_slist_free_all(resolveList)
        }

        let context = Unmanaged.passUnretained(exchange).toOpaque()
        let code: CURLcode = request.url.absoluteString.withCString { url in
            errorBuffer.withUnsafeMutableBufferPointer { errors in
                kapsoctl_curl_set_pointer(handle, CURLOPT_URL, url)
                kapsoctl_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress)
                kapsoctl_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                kapsoctl_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                kapsoctl_curl_set_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(request.timeout * 1000)))
                kapsoctl_curl_set_long(handle, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
                switch method {
                case "GET": kapsoctl_curl_set_long(handle, CURLOPT_HTTPGET, 1)
                case "HEAD": kapsoctl_curl_set_long(handle, CURLOPT_NOBODY, 1)
                case "POST": break
                default: method.withCString { _ = kapsoctl_curl_set_pointer(handle, CURLOPT_CUSTOMREQUEST, $0) }
                }
                if let body = request.body {
                    kapsoctl_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                    body.withUnsafeBytes { _ = kapsoctl_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)) }
                } else if method == "POST" {
                    kapsoctl_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0)
                    "".withCString { _ = kapsoctl_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, $0) }
                }
                if !reusesConnections {
                    kapsoctl_curl_set_long(handle, CURLOPT_FRESH_CONNECT, 1)
                    kapsoctl_curl_set_long(handle, CURLOPT_FORBID_REUSE, 1)
                }
                // No "Expect: 100-continue" wait; curl's own defaults for the rest are overridden.
                for line in request.headers.map({ "\($0.key): \($0.value)" }) + ["Expect:"] {
                    headerList = line.withCString { curl_slist_append(headerList, $0) }
                }
                kapsoctl_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headerList)
                if let address = request.pinnedAddress, let host = request.url.host {
                    let port = request.url.port ?? (request.url.scheme?.lowercased() == "https" ? 443 : 80)
                    let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                    let entry = "\(bare):\(port):" + (address.contains(":") ? "[\(address)]" : address)
                    resolveList = entry.withCString { curl_slist_append(nil, $0) }
                    kapsoctl_curl_set_pointer(handle, CURLOPT_RESOLVE, resolveList)
                }
                if let caFile = trust.caFile { caFile.withCString { _ = kapsoctl_curl_set_pointer(handle, CURLOPT_CAINFO, $0) } }
                if let caDirectory = trust.caDirectory { caDirectory.withCString { _ = kapsoctl_curl_set_pointer(handle, CURLOPT_CAPATH, $0) } }
                kapsoctl_curl_set_data_callback(handle, CURLOPT_WRITEFUNCTION, Exchange.receiveBody)
                kapsoctl_curl_set_pointer(handle, CURLOPT_WRITEDATA, context)
                kapsoctl_curl_set_data_callback(handle, CURLOPT_HEADERFUNCTION, Exchange.receiveHeader)
                kapsoctl_curl_set_pointer(handle, CURLOPT_HEADERDATA, context)
                kapsoctl_curl_set_progress_callback(handle, Exchange.progress)
                kapsoctl_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context)
                kapsoctl_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
                return curl_easy_perform(handle)
            }
        }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard code == CURLE_OK else {
            if exchange.tooLarge { return .failure(.invalidResponse("the response is larger than \(maxResponseBytes) bytes")) }
            if exchange.isCancelled { return .failure(.cancelled) }
            return .failure(Self.failure(code, detail: detail, url: request.url))
        }
        var status = 0
        kapsoctl_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        guard status >= 100 else { return .failure(.connection("the response is not HTTP")) }
        keep = reusesConnections
        return .success(HTTPResponseData(status: status, headers: exchange.headers, body: exchange.body))
    }

    private func takePooled() -> UnsafeMutableRawPointer? {
        pool.withLock { $0.popLast() }?.raw
    }

    private func givePooled(_ handle: UnsafeMutableRawPointer) {
        let kept = Handle(raw: handle)
        let overflow = pool.withLock { handles -> Bool in
            guard handles.count < poolSize else { return true }
            handles.append(kept)
            return false
        }
        if overflow { curl_easy_cleanup(handle) }
    }

    // MARK: - Failures in words

    /// libcurl's result as a failure: its kind, and words that never hold the URL or an error code.
    static func failure(_ code: CURLcode, detail: String, url: URL) -> TransportFailure {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_CRL_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tls(certificateProblem(detail))
        case CURLE_COULDNT_RESOLVE_PROXY:
            return .connection("could not resolve the proxy's host name (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY)")
        case CURLE_COULDNT_RESOLVE_HOST:
            return .connection("could not resolve the host name")
        case CURLE_COULDNT_CONNECT:
            // "Failed to connect to HOST port PORT …": another port than the URL's is the proxy's.
            let words = detail.split(separator: " ")
            let port = words.firstIndex(of: "port").flatMap { words.index(after: $0) < words.endIndex ? Int(words[words.index(after: $0)]) : nil }
            let own = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
            if detail.lowercased().contains("proxy") || (port != nil && port != own) {
                return .connection("could not connect to the proxy (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY; NO_PROXY lists hosts reached directly)")
            }
            return .connection("could not connect to the host (connection refused or host unreachable)")
        case CURLE_SSL_CONNECT_ERROR:
            return .connection("TLS handshake failed" + reason(detail))
        case CURLE_GOT_NOTHING:
            return .connection("the server closed the connection without answering")
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE:
            if let proxyStatus = proxyRefusal(detail) { return .tls(proxyStatus) }
            return .connection("the connection was closed before the answer arrived")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            return .connection("the server's answer is not valid HTTP")
        default:
            if let proxyStatus = proxyRefusal(detail) { return .tls(proxyStatus) }
            return .connection("the connection failed" + reason(detail))
        }
    }

    /// A certificate that does not verify: what is wrong and what to do about it.
    private static func certificateProblem(_ detail: String) -> String {
        let lower = detail.lowercased()
        let what: String
        if lower.contains("expired") {
            what = "the server's TLS certificate has expired"
        } else if lower.contains("not yet valid") {
            what = "the server's TLS certificate is not yet valid"
        } else if lower.contains("subject name") || lower.contains("does not match") || lower.contains("no alternative certificate subject name") {
            what = "the server's TLS certificate is for another host name"
        } else if lower.contains("cafile") || lower.contains("capath") || lower.contains("error setting certificate") {
            return "the CA certificates (SSL_CERT_FILE or SSL_CERT_DIR) cannot be used" + reason(detail)
        } else {
            what = "the server's TLS certificate is not trusted" + reason(detail)
        }
        return what + "; if a proxy or TLS inspection on this network re-signs traffic, point SSL_CERT_FILE at a PEM bundle that holds its CA certificate"
    }

    /// `CONNECT tunnel failed, response 407` → the proxy's refusal in words.
    private static func proxyRefusal(_ detail: String) -> String? {
        guard detail.contains("CONNECT tunnel failed") || detail.lowercased().contains("proxy") else { return nil }
        let digits = detail.split(separator: " ").last.map(String.init) ?? ""
        if let status = Int(digits) {
            let why = status == 407 ? " (407: the proxy wants credentials; put them in the proxy URL, http://user:password@proxy:port)" : " (\(status))"
            return "the proxy refused to open a tunnel to the API" + why
        }
        return nil
    }

    /// ` (libcurl's reason)`, kept to plain words and at most 80 characters; empty when none.
    private static func reason(_ detail: String) -> String {
        // "SSL certificate problem: unable to get local issuer certificate" → "unable to get local issuer certificate"
        var text = detail
        if let colon = text.range(of: ": ", options: .backwards) { text = String(text[colon.upperBound...]) }
        let plain = String(text.unicodeScalars.filter {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || " -_.,'()".unicodeScalars.contains($0))
        }.prefix(80).map(Character.init)).trimmingCharacters(in: .whitespaces)
        return plain.isEmpty ? "" : " (\(plain))"
    }
}

/// The state of one exchange, shared with libcurl's callbacks through an opaque pointer.
private final class Exchange: @unchecked Sendable {
    let request: HTTPRequestData
    let maxResponseBytes: Int
    /// Written only on the thread running the exchange.
    var body = Data()
    var headers: [String: String] = [:]
    var tooLarge = false
    private let cancelled = Atomic(false)

    init(request: HTTPRequestData, maxResponseBytes: Int) {
        self.request = request
        self.maxResponseBytes = maxResponseBytes
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    static func from(_ context: UnsafeMutableRawPointer?) -> Exchange {
        Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
    }

    /// Body bytes; returning fewer than given ends the transfer (the answer is too large).
    static let receiveBody: kapsoctl_curl_data_callback = { data, size, count, context in
        let exchange = Exchange.from(context)
        let length = size * count
        guard exchange.body.count + length <= exchange.maxResponseBytes else {
            exchange.tooLarge = true
            return 0
        }
        if let data, length > 0 {
            data.withMemoryRebound(to: UInt8.self, capacity: length) { exchange.body.append($0, count: length) }
        }
        return length
    }

    /// One header line (the status line starts a new set: after `100 Continue`, or a proxy's).
    static let receiveHeader: kapsoctl_curl_data_callback = { data, size, count, context in
        let exchange = Exchange.from(context)
        let length = size * count
        guard let data, length > 0 else { return length }
        let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            exchange.headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty, exchange.headers[name] == nil { exchange.headers[name] = value }
        }
        return length
    }

    /// Called often during the transfer: a non-zero answer aborts it (the task was cancelled).
    static let progress: kapsoctl_curl_progress_callback = { context, _, _, _, _ in
        Exchange.from(context).isCancelled ? 1 : 0
    }
}
