import Foundation
import TestSupport
import Testing

/// The result of one run of the built `kapsoctl` binary.
struct RunResult {
    var status: Int32
    /// False when the process died of a signal (a crash), not by exiting.
    var exited: Bool
    var stdout: String
    var stderr: String
}

/// Runs the built `kapsoctl` with `arguments` and exactly `environment` (the test process's own
/// environment is never changed), and awaits its exit without blocking a thread: the concurrency
/// pool has one thread per core, and the in-process simulators of other tests need them. Output
/// goes through temporary files, so a large output cannot fill a pipe.
/// `standardOutput` replaces the captured stdout (e.g. `/dev/full`, or a pipe nobody reads).
/// With `acknowledged`, stderr is read as it comes: once the binary has written that text after
/// the first signal (and exited after the later ones), `then` runs (a test opens the simulator's
/// held answers: the binary has taken the signal while a write was in flight, with no latency to
/// guess).
func runKapsoctl(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
                 inTerminal input: String? = nil, input standardInput: Data? = nil, standardOutput: FileHandle? = nil,
                 interrupts: Int = 0, signals: [Int32] = [], when trigger: (@Sendable () async -> Void)? = nil,
                 acknowledged: (text: String, then: @Sendable () async -> Void)? = nil) async throws -> RunResult {
    let signals = signals.isEmpty ? Array(repeating: SIGINT, count: interrupts) : signals
    let run = try KapsoctlRun(arguments, environment: environment, directory: directory, terminalInput: input,
                              standardInput: standardInput, watchingStderr: acknowledged != nil)
    if let standardOutput { run.process.standardOutput = standardOutput }
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        run.process.terminationHandler = { _ in continuation.resume() }
        do {
            try run.process.runUnmasked()
        } catch {
            // A missing or unlaunchable binary is a broken test setup, not a result to inspect.
            continuation.resume(throwing: LaunchFailure(binary: run.process.executableURL?.path ?? "?", reason: "\(error)"))
            return
        }
        // Ctrl-C (SIGINT) `interrupts` times once `trigger` returns (or `signals`, in order). A
        // later signal goes once the binary has said it took the first: sent sooner, it could
        // merge with the first (the same signal) or be taken before it (another signal).
        if let trigger, !signals.isEmpty {
            precondition(signals.count == 1 || acknowledged != nil, "a second signal waits for the binary to acknowledge the first")
            Task {
                await trigger()
                // A bound for a binary that never says it: the test then fails instead of hanging.
                let bound = Task {
                    try await Task.sleep(for: .seconds(10))
                    await acknowledged?.then()
                }
                defer { bound.cancel() }
                run.send(signals[0])
                guard let acknowledged, let stderr = run.stderrLines else { return }
                guard await stderr.line(where: { $0.contains(acknowledged.text) }) != nil else { return }
                for signal in signals.dropFirst() { run.send(signal) }
                // A later signal exits at once: `then` runs after the binary has gone, so that what
                // it releases cannot finish a write before the signal is taken.
                if signals.count > 1 { await stderr.end() }
                await acknowledged.then()
            }
        }
    }
    await run.stderrLines?.end()
    return try run.result()
}

/// The binary could not be started.
struct LaunchFailure: Error, CustomStringConvertible {
    var binary: String
    var reason: String
    var description: String { "cannot launch \(binary): \(reason)" }
}

/// One process of the binary, its output captured in files.
final class KapsoctlRun: @unchecked Sendable {
    let process = Process()
    private let scratch: URL
    private let outURL: URL
    private let errURL: URL
    private let out: FileHandle
    private let err: FileHandle
    private var stdinPipe: Pipe?

    /// stderr as it comes, when the run was made `watchingStderr` (read through a pipe, not a file).
    private let stderrPipe: Pipe?
    let stderrLines: LineStream?

    /// With `terminalInput`, the binary runs under `script(1)` on a pseudo-terminal, reading that
    /// input; `standardInput` is its stdin otherwise (from a file: no pipe to fill).
    init(_ arguments: [String], environment: [String: String], directory: URL?, terminalInput: String? = nil,
         standardInput: Data? = nil, watchingStderr: Bool = false) throws {
        stderrPipe = watchingStderr ? Pipe() : nil
        stderrLines = stderrPipe.map { LineStream(reading: $0.fileHandleForReading) }
        if let terminalInput {
            let command = ([kapsoctlBinary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
                .joined(separator: " ")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qec", command, "/dev/null"]
            let input = Pipe()
            input.fileHandleForWriting.write(Data(terminalInput.utf8))
            try input.fileHandleForWriting.close()
            stdinPipe = input
        } else {
            process.executableURL = kapsoctlBinary
            process.arguments = arguments
        }
        var env = ["PATH": "/usr/bin:/bin"]
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outURL = scratch.appendingPathComponent("stdout")
        errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        out = try FileHandle(forWritingTo: outURL)
        err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = stderrPipe ?? err
        if let standardInput {
            let inURL = scratch.appendingPathComponent("stdin")
            try standardInput.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = stdinPipe ?? FileHandle.nullDevice
        }
    }

    func send(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    func result() throws -> RunResult {
        try out.close()
        try err.close()
        defer { try? FileManager.default.removeItem(at: scratch) }
        return RunResult(status: process.terminationStatus,
                         exited: process.terminationReason == .exit,
                         stdout: try String(contentsOf: outURL, encoding: .utf8),
                         stderr: try stderrLines?.text ?? String(contentsOf: errURL, encoding: .utf8))
    }
}

/// The package's root directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `kapsoctl` binary under test: `$KAPSOCTL_BINARY` when set — `scripts/test` (the README's
/// test command and CI) points it at the release build that `scripts/release` strips into the
/// archive, so the end-to-end tests run what ships —, else the debug binary `swift test` builds
/// next to the test bundle.
let kapsoctlBinary: URL = {
    if let chosen = ProcessInfo.processInfo.environment["KAPSOCTL_BINARY"], !chosen.isEmpty {
        return URL(fileURLWithPath: chosen)
    }
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent("kapsoctl"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kapsoctl"),
        Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("kapsoctl"),
    ].compactMap { $0 }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
}()

/// A fresh temporary directory for one test.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
