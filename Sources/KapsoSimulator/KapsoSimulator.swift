import FlyingFox
import Foundation
import KapsoKit
import Synchronization

/// The Kapso-compatible HTTP server: the legacy webhook API under `/api/v1`, on loopback only,
/// plus test endpoints under `/__sim/` (journal, state, faults) that need no API key.
public final class KapsoSimulator: Sendable {
    /// The state and behaviour; in-process tests read the journal and set faults through it.
    public let store: SimulatorStore
    /// Holds answers to writes back while a test keeps it closed; opened when the simulator stops.
    public let writeAnswers = AnswerGate()
    private let server: HTTPServer
    private let host: String
    private let runTask = Mutex<Task<Void, any Error>?>(nil)

    /// - Parameters:
    ///   - host: an IPv4 loopback address (`127.0.0.1` by default) or `localhost`.
    ///   - port: 0 picks a free port.
    public init(seed: SimulatorSeed = .empty, apiKey: String, faults: FaultPlan = .none,
                host: String = "127.0.0.1", port: UInt16 = 0) throws {
        let address = host == "localhost" ? "127.0.0.1" : host
        guard address.split(separator: ".").first == "127", let socketAddress = try? sockaddr_in.inet(ip4: address, port: port) else {
            throw SeedError("the simulator listens only on an IPv4 loopback address (127.x.x.x or localhost), not '\(host)'")
        }
        self.host = address
        store = try SimulatorStore(seed: seed, apiKey: apiKey, faults: faults)
        server = HTTPServer(address: socketAddress, timeout: 600, logger: .disabled,
                            handler: SimulatorHandler(store: store, writeAnswers: writeAnswers))
    }

    /// Starts listening and returns the API base URL, `http://127.0.0.1:PORT/api/v1`.
    public func start() async throws -> URL {
        let task = Task { [server] in try await server.run() }
        runTask.withLock { $0 = task }
        try await server.waitUntilListening(timeout: 10)
        guard case .ip4(_, let port)? = await server.listeningAddress else {
            throw SeedError("the simulator did not report its port")
        }
        Self.disableNagle(onListenerAt: port)
        return URL(string: "http://\(host):\(port)\(SimulatorStore.prefix)")!
    }

    /// The Platform API's base URL next to the legacy one `start()` returned.
    public static func platformURL(from legacy: URL) -> URL {
        URL(string: legacy.absoluteString.replacingOccurrences(of: SimulatorStore.prefix, with: SimulatorStore.platformPrefix))!
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        await store.releaseWaiters()
        await writeAnswers.open()
        // No grace period: a kept-alive client connection would hold it for the whole timeout.
        await server.stop(timeout: 0)
        runTask.withLock { $0?.cancel() }
    }

    /// Sets TCP_NODELAY on the listening socket, which connections it accepts inherit on Linux.
    /// FlyingFox writes a response's head and body in two writes and does not expose its sockets;
    /// with Nagle's algorithm on, every keep-alive answer then waited ~40 ms for the client's
    /// delayed ACK. The listener is found by its port among this process's descriptors.
    private static func disableNagle(onListenerAt port: UInt16) {
        for fd in Int32(0)..<Int32(4096) {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0, address.sin_family == sa_family_t(AF_INET), UInt16(bigEndian: address.sin_port) == port else { continue }
            var listening: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0, listening == 1 else { continue }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            return
        }
    }
}

/// Turns FlyingFox requests into ``SimRequest``s for the store, and test-endpoint calls into
/// store calls.
private struct SimulatorHandler: HTTPHandler {
    let store: SimulatorStore
    let writeAnswers: AnswerGate

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try await request.bodyData
        if request.path.hasPrefix("/__sim/") {
            return await control(request, body: body)
        }
        let response = await store.respond(method: request.method.rawValue, path: request.path,
                                           query: request.query.map { ($0.name, $0.value) },
                                           apiKey: request.headers[HTTPHeader("X-API-Key")], body: body,
                                           userAgent: request.headers[HTTPHeader("User-Agent")])
        // The request is stored and journalled at once; the answer waits: a test can see a
        // request arrive while its client is still waiting for the answer.
        let latency = await store.latency(for: request.method.rawValue)
        if latency > 0 { try? await Task.sleep(nanoseconds: UInt64(latency) * 1_000_000) }
        if JournalEntry.isWrite(request.method.rawValue) { await writeAnswers.pass() }
        return Self.convert(response)
    }

    private func control(_ request: HTTPRequest, body: Data) async -> HTTPResponse {
        switch (request.method.rawValue, request.path) {
        case ("GET", "/__sim/journal"):
            let journal = await store.journal()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(["data": journal])) ?? Data()
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: data)
        case ("GET", "/__sim/deliveries"):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(["data": await store.deliveries()])) ?? Data()
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: data)
        case ("POST", "/__sim/traffic"):
            // Synthetic traffic: {"webhook_id": "...", "count": N, "event": "..."}, sent as Kapso would.
            guard case .object(let fields)? = try? JSONValue.parse(body), case .string(let id)? = fields["webhook_id"] else {
                return Self.convert(.error(422, "expected {\"webhook_id\": \"...\", \"count\": N}"))
            }
            let count: Int = if case .int(let n)? = fields["count"] { n } else { 1 }
            let event: String? = if case .string(let name)? = fields["event"] { name } else { nil }
            guard let delivered = await store.sendTraffic(webhookID: id, count: count, event: event) else {
                return Self.convert(.error(404, "Webhook not found"))
            }
            let answer = JSONValue.object(["data": .object(["sent": .int(max(0, min(count, 1000))), "delivered": .int(delivered)])])
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: answer.serialized())
        case ("DELETE", "/__sim/journal"):
            await store.clearJournal()
            return HTTPResponse(statusCode: .noContent)
        case ("GET", "/__sim/state"):
            return HTTPResponse(statusCode: .ok, headers: [.contentType: "application/json"], body: await store.snapshot().serialized())
        case ("PUT", "/__sim/faults"):
            guard let plan = try? JSONDecoder().decode(FaultPlan.self, from: body) else {
                return Self.convert(.error(422, "expected a fault plan object"))
            }
            await store.setFaults(plan)
            return HTTPResponse(statusCode: .noContent)
        default:
            return Self.convert(.error(404, "Not found"))
        }
    }

    private static func convert(_ response: SimResponse) -> HTTPResponse {
        convert(SimulatorAnswer(status: response.status, headers: response.headers, body: response.body, drop: response.drop))
    }

    private static func convert(_ response: SimulatorAnswer) -> HTTPResponse {
        if response.drop {
            return HTTPResponse(webSocket: DropConnection())
        }
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers[HTTPHeader(name)] = value }
        return HTTPResponse(statusCode: HTTPStatusCode(response.status, phrase: Self.phrase(response.status)),
                            headers: headers, body: response.body)
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// Closes the connection before a single byte of response is written: FlyingFox builds a
/// WebSocket's frames before it sends the upgrade response, so failing there drops the socket.
private struct DropConnection: WSHandler {
    struct Dropped: Error {}

    func makeFrames(for client: AsyncThrowingStream<WSFrame, any Error>) async throws -> AsyncStream<WSFrame> {
        throw Dropped()
    }
}
