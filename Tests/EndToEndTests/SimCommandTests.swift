import Foundation
import KapsoKit
import Testing

/// A `kapsoctl sim` process, stopped when the test ends.
final class SimProcess {
    let process = Process()
    let baseURL: URL
    private let stderrPipe = Pipe()

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let stdoutPipe = Pipe()
        process.executableURL = kapsoctlBinary
        process.arguments = ["sim"] + arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The first line tells the port; read it byte by byte up to the newline (or EOF on failure).
        var line = Data()
        let reader = stdoutPipe.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("listening on "), let url = URL(string: String(text.dropFirst("listening on ".count))) else {
            process.terminate()
            throw SimStartFailure(output: text)
        }
        baseURL = url
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

struct SimStartFailure: Error {
    var output: String
}

@Suite struct SimCommandTests {
    let transport = URLSessionTransport()

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
        let sim = try SimProcess(["--port", "0", "--seed", seed.path, "--api-key", "e2e-key"])
        #expect(sim.baseURL.absoluteString.hasPrefix("http://127.0.0.1:"))
        #expect(sim.baseURL.path == "/api/v1")
        let client = KapsoClient(baseURL: sim.baseURL, apiKey: "e2e-key", transport: transport)
        let hooks = try await client.listWebhooks(configID: config)
        #expect(hooks.map(\.url) == ["https://a.example.com/2", "https://a.example.com/1"])
        let stranger = KapsoClient(baseURL: sim.baseURL, apiKey: "other", transport: transport, retry: .none)
        await #expect(throws: APIError.self) { _ = try await stranger.listWebhooks(configID: config) }
    }

    @Test func keyComesFromTheEnvironmentAndFaultFlagsApply() async throws {
        let sim = try SimProcess(["--port", "0", "--rate-limit-first", "1", "--retry-after", "0"],
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
                     "body": .string(""), "status": .int(429), "fault": .string("rate_limit")]),
            .object(["method": .string("GET"), "path": .string("/api/v1/whatsapp_configs"), "query": .string("page=1&per_page=100"),
                     "body": .string(""), "status": .int(200)]),
        ]))
    }

    @Test func refusesToStartWithoutAKeyOrWithABadSeed() throws {
        let noKey = try runKapsoctl(["sim", "--port", "0"])
        #expect(noKey.status == 1)
        #expect(noKey.stderr.contains("the simulator needs an API key"))
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let seed = dir.appendingPathComponent("bad.json")
        try #"{"configs": {"nope": []}}"#.write(to: seed, atomically: true, encoding: .utf8)
        let badSeed = try runKapsoctl(["sim", "--port", "0", "--api-key", "k", "--seed", seed.path])
        #expect(badSeed.status == 1)
        #expect(badSeed.stderr.contains("config key 'nope' is not a UUID"))
        let publicHost = try runKapsoctl(["sim", "--host", "0.0.0.0", "--api-key", "k"])
        #expect(publicHost.status == 1)
        #expect(publicHost.stderr.contains("only on an IPv4 loopback address"))
        let badFraction = try runKapsoctl(["sim", "--api-key", "k", "--server-error-fraction", "2"])
        #expect(badFraction.status == 1)
    }
}
