import Foundation

/// The output of an outside program a test ran.
public struct ToolResult: Sendable {
    public var status: Int32
    /// stdout and stderr together.
    public var output: String
}

/// Runs `executable` with `arguments` and awaits its exit without blocking a thread; its output
/// goes through a temporary file, so a large output cannot fill a pipe.
public func runTool(_ executable: URL, _ arguments: [String], directory: URL? = nil) async throws -> ToolResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-tool-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let handle = try FileHandle(forWritingTo: log)
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    try handle.close()
    return ToolResult(status: process.terminationStatus, output: try String(contentsOf: log, encoding: .utf8))
}

/// `check-jsonschema` (PyPI): the JSON Schema validator `scripts/ensure-tools` installs under
/// `.build/tools`, else one on PATH. Nil when there is none.
public func checkJSONSchema(packageRoot: URL) -> URL? {
    pythonTool("check-jsonschema", packageRoot: packageRoot)
}

/// A tool scripts/ensure-tools installs under .build/tools (or one on PATH).
public func pythonTool(_ name: String, packageRoot: URL) -> URL? {
    let installed = packageRoot.appendingPathComponent(".build/tools/bin/\(name)")
    if FileManager.default.isExecutableFile(atPath: installed.path) { return installed }
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
}

/// The Python that runs the tests' helper scripts: the interpreter of `scripts/ensure-tools`'s
/// virtual environment, started directly (a version manager's `python3` shim on PATH costs a dozen
/// shell processes per start), else `python3` from PATH.
public func pythonInterpreter(packageRoot: URL) -> String {
    let installed = packageRoot.appendingPathComponent(".build/tools/bin/python3")
    guard let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: installed.path),
          FileManager.default.isExecutableFile(atPath: resolved) else { return "python3" }
    return resolved
}

/// Why a test that needs `check-jsonschema` cannot run: it fails, saying how to install it.
public let missingCheckJSONSchema = "check-jsonschema is not installed: run `bash scripts/ensure-tools` (scripts/test does)"
