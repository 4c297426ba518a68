import Foundation
import Synchronization

/// A stream a test reads as it comes (a helper's stdout, the binary's stderr), on a thread of its
/// own: a test awaits the line it needs instead of sleeping or polling.
public final class LineStream: @unchecked Sendable {
    private struct State {
        var data = Data()
        var lines: [String] = []
        var ended = false
        var waiters: [(matches: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] = []
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Starts reading `handle` until its end; a last line without a newline counts as a line.
    public init(reading handle: FileHandle) {
        Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                state.withLock { $0.data.append(chunk) }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    received(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { received(String(decoding: pending, as: UTF8.self)) }
            let (waiting, ending) = state.withLock { state in
                state.ended = true
                defer { state.waiters.removeAll(); state.endWaiters.removeAll() }
                return (state.waiters, state.endWaiters)
            }
            for waiter in waiting { waiter.continuation.resume(returning: nil) }
            for waiter in ending { waiter.resume() }
        }.start()
    }

    private func received(_ line: String) {
        let ready = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.lines.append(line)
            let matching = state.waiters.filter { $0.matches(line) }
            state.waiters.removeAll { $0.matches(line) }
            return matching.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: line) }
    }

    /// The first line (already read or still to come) that `matches`; nil if the stream ends first.
    public func line(where matches: @escaping @Sendable (String) -> Bool) async -> String? {
        await withCheckedContinuation { continuation in
            let found = state.withLock { state -> String?? in
                if let line = state.lines.first(where: matches) { return .some(line) }
                if state.ended { return .some(nil) }
                state.waiters.append((matches, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    /// The first line that starts with `prefix`; nil if the stream ends first.
    public func line(startingWith prefix: String) async -> String? {
        await line { $0.hasPrefix(prefix) }
    }

    /// Returns once the stream has ended (every copy of the writing end closed).
    public func end() async {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { state in
                if !state.ended { state.endWaiters.append(continuation) }
                return state.ended
            }
            if ended { continuation.resume() }
        }
    }

    /// Every line read so far.
    public var lines: [String] { state.withLock { $0.lines } }

    /// Everything read so far, as it came.
    public var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }
}
