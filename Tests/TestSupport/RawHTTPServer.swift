import Foundation
import Synchronization

/// One request as ``RawHTTPServer`` read it off the socket.
public struct RawRequest: Sendable {
    public var method: String
    /// The path, percent-decoding left to the handler.
    public var path: String
    /// Query items, decoded.
    public var query: [(name: String, value: String)]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
}

/// What ``RawHTTPServer`` sends back; `drop` closes the connection without answering.
public struct RawResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var drop: Bool

    public init(status: Int, headers: [String: String] = [:], body: Data = Data(), drop: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.drop = drop
    }
}

/// A small HTTP/1.1 server on plain POSIX sockets, one thread per connection, whose connection
/// handling tests choose — what FlyingFox does not let a test control:
///
/// - `.closeAfter(n)`: keeps connections alive, but closes each one after `n` answers without
///   saying so (no `Connection: close`), as a server whose idle or request limit strikes does.
///   A client that reuses the connection at that moment finds it dead.
/// - `.closeAfter(1)`: never keeps a connection alive, again without saying so.
/// - `.notHTTP`: writes a line of text on accept and closes (a TLS client sees a failed handshake).
///
/// It reads a body by its `Content-Length` and counts requests whose announced body never fully
/// arrived (`incompleteBodies`): the symptom of a client that sent a head without its body.
public final class RawHTTPServer: @unchecked Sendable {
    public enum Mode: Sendable {
        case closeAfter(Int)
        case notHTTP
    }

    public typealias Handler = @Sendable (RawRequest) async -> RawResponse

    public let port: UInt16
    private let listener: Int32
    private let mode: Mode
    private let handler: Handler
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var connections: Set<Int32> = []
        var incompleteBodies = 0
        var requests = 0
        var connectionsAccepted = 0
    }

    public init(mode: Mode, handler: @escaping Handler) throws {
        self.mode = mode
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawServerError("socket() failed: errno \(errno)") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, SOMAXCONN) == 0 else {
            close(fd)
            throw RawServerError("cannot listen on loopback: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// `http://127.0.0.1:PORT`.
    public var origin: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Requests whose announced body did not fully arrive before the client closed the connection.
    public var incompleteBodies: Int { state.withLock { $0.incompleteBodies } }
    /// Requests answered (or dropped).
    public var requests: Int { state.withLock { $0.requests } }
    /// Connections accepted.
    public var connectionsAccepted: Int { state.withLock { $0.connectionsAccepted } }

    /// Stops accepting and closes every connection.
    public func stop() {
        // Once only: a second close() could close a descriptor number another server reuses.
        guard let open = state.withLock({ state -> Set<Int32>? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.connections
        }) else { return }
        // Wakes the accept loop, which closes the listener itself: closed here, its descriptor
        // number could go to the next server's listener before the loop's thread had even started,
        // and the loop would accept (and drop) that server's connections.
        shutdown(listener, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    deinit { stop() }

    private func acceptLoop() {
        defer { close(listener) }
        while !state.withLock({ $0.stopped }) {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections.insert(fd)
                state.connectionsAccepted += 1
                return true
            }
            guard accepted else {
                close(fd)
                return
            }
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            Thread.detachNewThread { [self] in
                serve(fd)
                state.withLock { _ = $0.connections.remove(fd) }
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32) {
        let limit: Int
        switch mode {
        case .notHTTP:
            writeAll(fd, Data("this is not TLS\r\n".utf8))
            return
        case .closeAfter(let n):
            limit = max(1, n)
        }
        var buffer = Data()
        var answered = 0
        while answered < limit {
            guard let request = readRequest(fd, &buffer) else { return }
            let response = run(request)
            state.withLock { $0.requests += 1 }
            if response.drop { return }
            var head = "HTTP/1.1 \(response.status) \(Self.phrase(response.status))\r\n"
            for (name, value) in response.headers where name.lowercased() != "content-length" {
                head += "\(name): \(value)\r\n"
            }
            head += "Content-Length: \(response.body.count)\r\n\r\n"
            guard writeAll(fd, Data(head.utf8) + response.body) else { return }
            answered += 1
        }
        lingeringClose(fd)
    }

    /// Closes as a careful server does: FIN first, then read (and discard) whatever the client still
    /// sends until it closes too, so that the last answer is not destroyed by a reset.
    private func lingeringClose(_ fd: Int32) {
        shutdown(fd, Int32(SHUT_WR))
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sink = Data()
        while read(fd, into: &sink) { sink.removeAll(keepingCapacity: true) }
    }

    /// Runs the async handler on this connection's own thread, never on the concurrency pool: the
    /// pool's threads (two, on two cores) are also the test suite's, and a handler queued behind
    /// the CPU-bound tests once waited more than 10 s to drop a connection (a client saw a timeout).
    private func run(_ request: RawRequest) -> RawResponse {
        let executor = ThreadExecutor()
        let box = Mutex<RawResponse?>(nil)
        let handler = self.handler
        Task(executorPreference: executor) {
            let response = await handler(request)
            box.withLock { $0 = response }
            executor.finish()
        }
        executor.run()
        return box.withLock { $0 }!
    }

    /// Reads one request; nil when the connection ends first (an incomplete body is counted).
    private func readRequest(_ fd: Int32, _ buffer: inout Data) -> RawRequest? {
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = buffer.range(of: separator)
        while headEnd == nil {
            guard read(fd, into: &buffer) else { return nil }
            headEnd = buffer.range(of: separator)
        }
        let head = String(decoding: buffer[buffer.startIndex..<headEnd!.lowerBound], as: UTF8.self)
        buffer = Data(buffer[headEnd!.upperBound...])
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length {
            guard read(fd, into: &buffer) else {
                state.withLock { $0.incompleteBodies += 1 }
                return nil
            }
        }
        let body = Data(buffer.prefix(length))
        buffer = Data(buffer.dropFirst(length))
        let target = String(requestLine[1])
        let components = URLComponents(string: "http://127.0.0.1" + target)
        return RawRequest(method: String(requestLine[0]), path: components?.path ?? target,
                          query: (components?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
                          headers: headers, body: body)
    }

    private func read(_ fd: Int32, into buffer: inout Data) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    @discardableResult
    private func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    private static func phrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 404: "Not Found"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        default: "Status"
        }
    }
}

public struct RawServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A task executor that runs its jobs on the thread that calls ``run()``, until ``finish()``.
private final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// Runs jobs as they come until ``finish()`` is called and none is left.
    func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !finished { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
