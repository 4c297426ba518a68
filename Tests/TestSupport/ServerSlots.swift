/// Bounds how many in-process HTTP servers the tests run at once.
///
/// Each FlyingFox server parks one dispatch worker thread in `epoll_wait`. Swift Testing starts every
/// test at once, and with dozens of simulators alive the dispatch thread pool ran dry: URLSession
/// callbacks, timers and the concurrency runtime stalled for tens of seconds and unrelated tests
/// timed out. Every test that starts a server in-process takes a slot first.
public actor ServerSlots {
    public static let shared = ServerSlots(limit: 8)

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        available = limit
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs `body` holding one server slot.
public func withServerSlot<T>(_ body: () async throws -> T) async throws -> T {
    await ServerSlots.shared.acquire()
    do {
        let result = try await body()
        await ServerSlots.shared.release()
        return result
    } catch {
        await ServerSlots.shared.release()
        throw error
    }
}
