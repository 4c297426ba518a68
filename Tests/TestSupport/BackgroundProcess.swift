import Foundation
import Synchronization

/// A helper program a test runs alongside (a TLS front, a proxy): its stdout is read line by line
/// as it comes, and a test awaits the line it needs instead of sleeping.
///
/// Started with `posix_spawn` (default signal dispositions, nothing blocked) and ended with
/// SIGKILL and `waitpid`, so it never outlives the test, whatever the test runner does with signals.
public final class BackgroundProcess: @unchecked Sendable {
    private let pid: pid_t
    private struct State {
        var lines: [String] = []
        var ended = false
        var stopped = false
        var waiters: [(matches: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] = []
    }
    private let state = Mutex(State())

    public struct SpawnFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `arguments[0]` (looked up in PATH) with the rest as its arguments.
    public init(_ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw SpawnFailure(description: "pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawnp(&child, arguments[0], &actions, &attributes, argv, environ)
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            throw SpawnFailure(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        pid = child
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    received(line)
                }
            }
            let waiting = state.withLock { state in
                state.ended = true
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiting { waiter.continuation.resume(returning: nil) }
        }
        thread.start()
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

    /// The first line (already read or still to come) that starts with `prefix`; nil if the
    /// program ends first.
    public func line(startingWith prefix: String) async -> String? {
        await withCheckedContinuation { continuation in
            let found = state.withLock { state -> String?? in
                if let line = state.lines.first(where: { $0.hasPrefix(prefix) }) { return .some(line) }
                if state.ended { return .some(nil) }
                state.waiters.append(({ $0.hasPrefix(prefix) }, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    /// Every line read so far.
    public var lines: [String] { state.withLock { $0.lines } }

    /// Ends the program and reaps it (once).
    public func stop() {
        let first = state.withLock { state -> Bool in
            if state.stopped { return false }
            state.stopped = true
            return true
        }
        guard first else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    deinit {
        stop()
    }
}
