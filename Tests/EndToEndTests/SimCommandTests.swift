import Foundation
import KapsoKit
import Testing

/// A `kapsoctl sim` process, stopped when the test ends.
final class SimProcess: @unchecked Sendable {
    let process = Process()
    private(set) var baseURL = URL(fileURLWithPath: "/")
    private let stderrPipe = Pipe()

    /// Starts the simulator and awaits its first line (read on a thread of its own, so no thread of
    /// the concurrency pool blocks on the pipe).
    static func start(_ arguments: [String], environment: [String: String] = [:]) async throws -> SimProcess {
        let sim = SimProcess()
        let stdoutPipe = Pipe()
        sim.process.executableURL = kapsoctlBinary
        sim.process.arguments = ["sim"] + arguments
        sim.process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        sim.process.standardOutput = stdoutPipe
        sim.process.standardError = sim.stderrPipe
        sim.process.standardInput = FileHandle.nullDevice
        try sim.process.runUnmasked()
        let reader = stdoutPipe.fileHandleForReading
        let line: String = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var data = Data()
                while !data.contains(UInt8(ascii: "\n")) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                let text = String(decoding: data, as: UTF8.self)
                continuation.resume(returning: String(text.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces))
            }
        }
        guard line.hasPrefix("listening on "), let url = URL(string: String(line.dropFirst("listening on ".count))) else {
            sim.process.terminate()
            throw SimStartFailure(output: line)
        }
        sim.baseURL = url
        return sim
    }

    deinit {
        // Foundation reaps the child; the test need not wait for it.
        if process.isRunning { process.terminate() }
    }
}

struct SimStartFailure: Error {
    var output: String
}

@Suite struct SimCommandTests {
    let transport = CurlTransport()

    @Test func servesTheSeedOnAFreePort() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let seed = dir.appendingPathComponent("seed.json")
        let config = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
        try """
        {"configs": {"\(config)": [
          {"url": "https://a.example.com/1", "secret_key": "s1", "events": ["whatsapp.message.received"]},
          {"url": "https://a.example.com/2", "secret_key": "s2", "events": ["whatsapp.message.sent"]}
        ]}}
        """.write(to: seed, atomically: true, encoding: .utf8)
        let sim = try await SimProcess.start(["--port", "0", "--seed", seed.path, "--api-key", "e2e-key"])
        #expect(sim.baseURL.absoluteString.hasPrefix("http://127.0.0.1:"))
        #expect(sim.baseURL.path == "/api/v1")
        let client = KapsoClient(baseURL: sim.baseURL, apiKey: "e2e-key", transport: transport)
        let hooks = try await client.listWebhooks(in: .config(config))
        #expect(hooks.map(\.url) == ["https://a.example.com/2", "https://a.example.com/1"])
        let stranger = KapsoClient(baseURL: sim.baseURL, apiKey: "other", transport: transport, retry: .none)
        await #expect(throws: APIError.self) { _ = try await stranger.listWebhooks(in: .config(config)) }
    }

    @Test func keyComesFromTheEnvironmentAndFaultFlagsApply() async throws {
        let sim = try await SimProcess.start(["--port", "0", "--rate-limit-first", "1", "--retry-after", "0"],
                                 environment: ["KAPSO_API_KEY": "env-key"])
        let client = KapsoClient(baseURL: sim.baseURL, apiKey: "env-key", transport: transport, retry: .none)
        let limited = await #expect(throws: APIError.self) { _ = try await client.listConfigs() }
        #expect(limited?.status == 429)
        let configs = try await client.listConfigs()
        #expect(configs.isEmpty)
        let journal = try await transport.send(HTTPRequestData(
            method: "GET", url: URL(string: sim.baseURL.absoluteString.replacingOccurrences(of: "/api/v1", with: "/__sim/journal"))!))
        let entries = try JSONValue.parse(journal.body)["data"]
        #expect(entries == .array([
            .object(["method": .string("GET"), "path": .string("/api/v1/whatsapp_configs"), "query": .string("page=1&per_page=100"),
                     "body": .string(""), "status": .int(429), "fault": .string("rate_limit"), "user_agent": .string(KapsoctlVersion.userAgent)]),
            .object(["method": .string("GET"), "path": .string("/api/v1/whatsapp_configs"), "query": .string("page=1&per_page=100"),
                     "body": .string(""), "status": .int(200), "user_agent": .string(KapsoctlVersion.userAgent)]),
        ]))
    }

    @Test func refusesToStartWithoutAKeyOrWithABadSeed() async throws {
        let noKey = try await runKapsoctl(["sim", "--port", "0"])
        #expect(noKey.status == 1)
        #expect(noKey.stderr.contains("the simulator needs an API key"))
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let seed = dir.appendingPathComponent("bad.json")
        try #"{"configs": {"nope": []}}"#.write(to: seed, atomically: true, encoding: .utf8)
        let badSeed = try await runKapsoctl(["sim", "--port", "0", "--api-key", "k", "--seed", seed.path])
        #expect(badSeed.status == 1)
        #expect(badSeed.stderr.contains("config key 'nope' is not a UUID"))
        let publicHost = try await runKapsoctl(["sim", "--host", "0.0.0.0", "--api-key", "k"])
        #expect(publicHost.status == 1)
        #expect(publicHost.stderr.contains("only on an IPv4 loopback address"))
        let badFraction = try await runKapsoctl(["sim", "--api-key", "k", "--server-error-fraction", "2"])
        #expect(badFraction.status == 1)
    }
}
