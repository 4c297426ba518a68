import Foundation
import KapsoKit
import Synchronization

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
        do { try process.runUnmasked() } catch { continuation.resume(throwing: error) }
    }
    try handle.close()
    return ToolResult(status: process.terminationStatus, output: try String(contentsOf: log, encoding: .utf8))
}

/// `check-jsonschema` (PyPI): the JSON Schema validator `scripts/ensure-tools` installs under
/// `.build/tools`, else one on PATH. Nil when there is none.
public func checkJSONSchema(packageRoot: URL) -> SchemaValidator? {
    pythonTool("check-jsonschema", packageRoot: packageRoot).map(SchemaValidator.init)
}

/// check-jsonschema's own command line (`check_jsonschema.main`, the function its script calls),
/// run for every check of the test run in one Python process: a start spends ~0.5 s of CPU on
/// imports, and the suite checks eight times. A check is a line of JSON on the process's standard
/// input, `{"request": N, "args": [...]}`; its answer a line `{"request": N, "status": S, "output":
/// "..."}` with what the command line printed. A tool that is not a Python script runs as usual.
public struct SchemaValidator: Sendable {
    public let tool: URL

    private final class Server: Sendable {
        let process: Process
        let input: FileHandle
        let answers: LineStream
        let errors: LineStream
        let requests = Mutex(0)

        init(python: String) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", Self.script]
            let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stderr
            try process.runUnmasked()
            input = stdin.fileHandleForWriting
            answers = LineStream(reading: stdout.fileHandleForReading)
            errors = LineStream(reading: stderr.fileHandleForReading)
        }

        static let script = """
        import contextlib, io, json, sys
        from check_jsonschema import main
        for line in sys.stdin:
            request = json.loads(line)
            out = io.StringIO()
            status = 0
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    main(args=request["args"], prog_name="check-jsonschema")
                except SystemExit as exit:
                    status = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
            print(json.dumps({"request": request["request"], "status": status, "output": out.getvalue()}), flush=True)
        """

        func check(_ arguments: [String]) async throws -> ToolResult {
            // Not written to a process that has ended: the test process does not ignore SIGPIPE.
            guard process.isRunning else { throw SpawnFailure(description: "check-jsonschema's process ended: \(errors.text)") }
            // Numbered and written under the lock: a long request is more than a pipe writes at once.
            let number = try requests.withLock { count in
                count += 1
                let request = JSONValue.object(["request": .int(count), "args": .array(arguments.map(JSONValue.string))])
                try input.write(contentsOf: request.serialized() + Data("\n".utf8))
                return count
            }
            let prefix = #"{"request": \#(number), "#
            guard let line = await answers.line(startingWith: prefix) else {
                throw SpawnFailure(description: "check-jsonschema's process ended: \(errors.text)")
            }
            let answer = try JSONValue.parse(Data(line.utf8))
            guard case .int(let status)? = answer["status"], case .string(let output)? = answer["output"] else {
                throw SpawnFailure(description: "check-jsonschema's process answered \(line)")
            }
            return ToolResult(status: Int32(status), output: output)
        }
    }

    private struct SpawnFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// One server per interpreter, for the whole test run (it ends when the run closes its input).
    private static let servers = Mutex<[String: Server]>([:])

    public func check(_ arguments: [String]) async throws -> ToolResult {
        guard let python = Self.interpreter(of: tool) else { return try await runTool(tool, arguments) }
        let server = try Self.servers.withLock { servers in
            if let running = servers[python] { return running }
            let started = try Server(python: python)
            servers[python] = started
            return started
        }
        return try await server.check(arguments)
    }

    /// The Python of a script's `#!` line, when it is one.
    private static func interpreter(of script: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: script), let head = try? handle.read(upToCount: 512) else { return nil }
        try? handle.close()
        guard head.starts(with: Data("#!".utf8)), let line = String(decoding: head.dropFirst(2), as: UTF8.self).split(separator: "\n").first,
              let path = line.split(separator: " ").first.map(String.init), path.hasPrefix("/"),
              URL(fileURLWithPath: path).lastPathComponent.hasPrefix("python") else { return nil }
        return path
    }
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
