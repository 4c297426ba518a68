import Foundation
import Synchronization

/// A helper program a test runs alongside (a TLS front, a proxy): its stdout is read line by line
/// as it comes, and a test awaits the line it needs instead of sleeping.
///
/// Started with `posix_spawn` (default signal dispositions, nothing blocked) and ended with
/// SIGKILL and `waitpid`, so it never outlives the test, whatever the test runner does with signals.
public final class BackgroundProcess: @unchecked Sendable {
    private let pid: pid_t
    /// Its stdout.
    private let output: LineStream
    private let stopped = Mutex(false)

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
        output = LineStream(reading: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true))
    }

    /// The first line (already read or still to come) that starts with `prefix`; nil if the
    /// program ends first.
    public func line(startingWith prefix: String) async -> String? {
        await output.line(startingWith: prefix)
    }

    /// Every line read so far.
    public var lines: [String] { output.lines }

    /// Ends the program and reaps it (once).
    public func stop() {
        let first = stopped.withLock { stopped -> Bool in
            defer { stopped = true }
            return !stopped
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
