import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``HTTPTransport`` over Foundation's `URLSession`: no cookies, no cache, no redirects followed
/// (a 3xx is returned as it is, so the API key never leaves the API host), a hard deadline per
/// request and a bound on the size of an answer.
///
/// Reads share one long-lived session (kept-alive connections). Every request that carries a body
/// or changes something gets a session of its own, and so a connection of its own: libcurl, under
/// URLSession on Linux, sends a request on a kept-alive connection the server has just closed and
/// then silently resends it on a new connection, with the head but without the body (the server
/// waits for the announced bytes and the request stalls until its deadline), and a resent POST
/// could create a duplicate. A fresh connection is never resent. Writes are bounded by the API's
/// rate limit (at most 1,000 a minute), not by connection set-up, so this costs nothing that shows.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let readSession: URLSession
    private let configuration: URLSessionConfiguration
    private let delegate: SessionDelegate

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections kept to the API host for reads (the run's parallelism).
    ///   - maxResponseBytes: a longer response body is refused (a page of 100 webhooks is ~100 KB).
    public init(maxConnectionsPerHost: Int = 8, maxResponseBytes: Int = 64 << 20) {
        delegate = SessionDelegate(maxResponseBytes: maxResponseBytes)
        let c = URLSessionConfiguration.ephemeral
        c.httpMaximumConnectionsPerHost = max(1, maxConnectionsPerHost)
        c.httpCookieAcceptPolicy = .never
        c.httpShouldSetCookies = false
        c.requestCachePolicy = .reloadIgnoringLocalCacheData
        c.urlCache = nil
        configuration = c
        readSession = URLSession(configuration: c, delegate: delegate, delegateQueue: nil)
    }

    deinit {
        readSession.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequestData) async throws(TransportFailure) -> HTTPResponseData {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        urlRequest.httpBody = request.body
        let reusesConnections = request.body == nil && ["GET", "HEAD"].contains(request.method)
        let ownSession = reusesConnections ? nil : URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        let outcome = await exchange(urlRequest, on: ownSession ?? readSession, timeout: request.timeout)
        ownSession?.finishTasksAndInvalidate()
        switch outcome {
        case .success(let (data, http)):
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
            }
            return HTTPResponseData(status: http.statusCode, headers: headers, body: data)
        case .failure(let failure):
            throw failure
        }
    }

    /// Runs one data task with a hard deadline. URLSession's own `timeoutInterval` is an idle
    /// timeout (and on Linux a slow answer outlived it), so a timer cancels the task at the deadline.
    private func exchange(_ request: URLRequest, on session: URLSession,
                          timeout: TimeInterval) async -> Result<(Data, HTTPURLResponse), TransportFailure> {
        let taskBox = Mutex<URLSessionDataTask?>(nil)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<(Data, HTTPURLResponse), TransportFailure>, Never>) in
                let finished = Mutex(false)
                let finish: @Sendable (Result<(Data, HTTPURLResponse), TransportFailure>) -> Void = { result in
                    let first = finished.withLock { done in
                        defer { done = true }
                        return !done
                    }
                    if first { continuation.resume(returning: result) }
                }
                let task = session.dataTask(with: request)
                delegate.register(task, finish: finish)
                taskBox.withLock { $0 = task }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                    finish(.failure(.timedOut))
                    task.cancel()
                }
                task.resume()
            }
        } onCancel: {
            taskBox.withLock { $0?.cancel() }
        }
    }

    static func failure(_ error: any Error) -> TransportFailure {
        guard let error = error as? URLError else { return .connection("the connection failed") }
        switch error.code {
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        default: return .connection(describe(error))
        }
    }

    /// The failure in words, never with the URL (nothing from the query or host) or an error code.
    private static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "could not connect to the host (connection refused or host unreachable)"
        case .cannotFindHost, .dnsLookupFailed: "could not resolve the host name"
        case .networkConnectionLost: "the connection was closed before the answer arrived"
        case .notConnectedToInternet: "no network connection"
        case .secureConnectionFailed: "TLS handshake failed"
        case .serverCertificateUntrusted, .serverCertificateHasUnknownRoot:
            "TLS handshake failed: the server's certificate is not trusted"
        case .serverCertificateHasBadDate, .serverCertificateNotYetValid:
            "TLS handshake failed: the server's certificate has expired or is not yet valid"
        case .clientCertificateRejected, .clientCertificateRequired: "TLS handshake failed: the server wants a client certificate"
        case .badServerResponse, .cannotParseResponse: "the server's answer is not valid HTTP"
        case .zeroByteResource: "the server closed the connection without answering"
        case .httpTooManyRedirects, .redirectToNonExistentLocation: "the server redirected the request"
        case .dataLengthExceedsMaximum, .resourceUnavailable: "the answer could not be received"
        default: libcurlFailure(error.userInfo[NSLocalizedDescriptionKey] as? String ?? "")
        }
    }

    /// Failures Foundation does not classify (TLS errors arrive as code -1 with libcurl's text).
    private static func libcurlFailure(_ text: String) -> String {
        let lower = text.lowercased()
        if lower.contains("ssl") || lower.contains("tls") || lower.contains("certificate") {
            // "OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number" → "wrong version number"
            let reason = text.components(separatedBy: "::").last.flatMap { $0.contains("error:") ? nil : $0 }
            return "TLS handshake failed" + (reason.map { " (\(Self.plain($0)))" } ?? "")
        }
        return "the connection failed"
    }

    /// Letters, digits, spaces and simple punctuation only, at most 80 characters.
    private static func plain(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || " -_.,'()".unicodeScalars.contains($0)) }
            .prefix(80).map(Character.init))
    }
}

/// Collects each task's answer, refusing bodies over a size bound (so no server can exhaust memory),
/// and refuses every redirect (the 3xx itself is returned to the client).
private final class SessionDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    typealias Finish = @Sendable (Result<(Data, HTTPURLResponse), TransportFailure>) -> Void

    private struct Exchange {
        var data = Data()
        var response: HTTPURLResponse?
        var finish: Finish
    }

    let maxResponseBytes: Int
    /// By task object: sessions number their tasks independently.
    private let exchanges = Mutex<[ObjectIdentifier: Exchange]>([:])

    init(maxResponseBytes: Int) {
        self.maxResponseBytes = maxResponseBytes
    }

    func register(_ task: URLSessionTask, finish: @escaping Finish) {
        exchanges.withLock { $0[ObjectIdentifier(task)] = Exchange(finish: finish) }
    }

    private func take(_ task: URLSessionTask) -> Exchange? {
        exchanges.withLock { $0.removeValue(forKey: ObjectIdentifier(task)) }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
        exchanges.withLock { $0[ObjectIdentifier(dataTask)]?.response = response as? HTTPURLResponse }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let tooLarge = exchanges.withLock { table -> Bool in
            table[ObjectIdentifier(dataTask)]?.data.append(data)
            return (table[ObjectIdentifier(dataTask)]?.data.count ?? 0) > maxResponseBytes
        }
        if tooLarge, let exchange = take(dataTask) {
            exchange.finish(.failure(.invalidResponse("the response is larger than \(maxResponseBytes) bytes")))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let exchange = take(task) else { return }
        if let error {
            exchange.finish(.failure(URLSessionTransport.failure(error)))
        } else if let http = exchange.response ?? task.response as? HTTPURLResponse {
            exchange.finish(.success((exchange.data, http)))
        } else {
            exchange.finish(.failure(.connection("the response is not HTTP")))
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
