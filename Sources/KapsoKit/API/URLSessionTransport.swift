import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// ``HTTPTransport`` over Foundation's `URLSession`: one long-lived session, no cookies, no cache,
/// no redirects followed (a 3xx is returned as it is, so the API key never leaves the API host),
/// a hard deadline per request and a bound on the size of an answer.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let session: URLSession
    /// Requests that are not idempotent go through their own session and always on a fresh
    /// connection (`Connection: close`): libcurl, under URLSession on Linux, silently resends a
    /// request whose reused connection died, which for a POST could create a duplicate.
    private let freshConnectionSession: URLSession
    private let delegate: SessionDelegate

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections kept to the API host (the run's parallelism).
    ///   - maxResponseBytes: a longer response body is refused (a page of 100 webhooks is ~100 KB).
    public init(maxConnectionsPerHost: Int = 8, maxResponseBytes: Int = 64 << 20) {
        delegate = SessionDelegate(maxResponseBytes: maxResponseBytes)
        func configuration() -> URLSessionConfiguration {
            let c = URLSessionConfiguration.ephemeral
            c.httpMaximumConnectionsPerHost = max(1, maxConnectionsPerHost)
            c.httpCookieAcceptPolicy = .never
            c.httpShouldSetCookies = false
            c.requestCachePolicy = .reloadIgnoringLocalCacheData
            c.urlCache = nil
            return c
        }
        session = URLSession(configuration: configuration(), delegate: delegate, delegateQueue: nil)
        freshConnectionSession = URLSession(configuration: configuration(), delegate: delegate, delegateQueue: nil)
    }

    deinit {
        session.finishTasksAndInvalidate()
        freshConnectionSession.finishTasksAndInvalidate()
    }

    public func send(_ request: HTTPRequestData) async throws(TransportFailure) -> HTTPResponseData {
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers {
            urlRequest.setValue(value, forHTTPHeaderField: name)
        }
        let idempotent = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"].contains(request.method)
        if !idempotent { urlRequest.setValue("close", forHTTPHeaderField: "Connection") }
        urlRequest.httpBody = request.body
        let outcome = await exchange(urlRequest, on: idempotent ? session : freshConnectionSession, timeout: request.timeout)
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
        guard let error = error as? URLError else { return .connection(String(describing: type(of: error))) }
        switch error.code {
        case .timedOut: return .timedOut
        case .cancelled: return .cancelled
        default: return .connection(describe(error))
        }
    }

    /// A short description that never includes the URL (and so nothing from the query or host).
    private static func describe(_ error: URLError) -> String {
        switch error.code {
        case .cannotConnectToHost: "cannot connect to host"
        case .networkConnectionLost: "connection lost"
        case .cannotFindHost: "cannot find host"
        case .notConnectedToInternet: "not connected"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot: "TLS failure"
        case .badServerResponse: "bad server response"
        default: "network error \(error.code.rawValue)"
        }
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
    /// By task object: the two sessions number their tasks independently.
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
