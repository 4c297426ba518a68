import Foundation
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
/// environment is never changed). Output goes through temporary files, so a large output cannot
/// fill a pipe and deadlock the wait.
func runKapsoctl(_ arguments: [String], environment: [String: String] = [:],
                 directory: URL? = nil) throws -> RunResult {
    let process = Process()
    process.executableURL = kapsoctlBinary
    process.arguments = arguments
    var env = ["PATH": "/usr/bin:/bin", "NO_COLOR": "1"]
    env.merge(environment) { $1 }
    process.environment = env
    if let directory { process.currentDirectoryURL = directory }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return RunResult(status: process.terminationStatus,
                     exited: process.terminationReason == .exit,
                     stdout: try String(contentsOf: outURL, encoding: .utf8),
                     stderr: try String(contentsOf: errURL, encoding: .utf8))
}

/// The package's root directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `kapsoctl` binary built next to the test bundle.
let kapsoctlBinary: URL = {
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
