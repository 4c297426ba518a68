import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// The simulator's API behind ``RawHTTPServer``, whose connection handling the test chooses.
func withRawSimulator(seed: SimulatorSeed, mode: RawHTTPServer.Mode,
                      _ body: (SimulatorStore, RawHTTPServer, [String: String]) async throws -> Void) async throws {
    try await withServerSlot {
        let store = try SimulatorStore(seed: seed, apiKey: apiKey)
        let server = try RawHTTPServer(mode: mode) { request in
            let answer = await store.respond(method: request.method, path: request.path, query: request.query,
                                             apiKey: request.headers["x-api-key"], body: request.body)
            return RawResponse(status: answer.status, headers: answer.headers, body: answer.body, drop: answer.drop)
        }
        defer { server.stop() }
        let env = ["KAPSO_API_URL": server.origin.absoluteString + "/api/v1", "KAPSO_API_KEY": apiKey, "SECRET": secretCanary]
        try await body(store, server, env)
    }
}

/// Five configs of `perConfig` webhooks each, all with `active`.
func bulkSpec(configs: [String], perConfig: Int, active: Bool) -> String {
    var lines = "version: 1\ndefaults:\n  secret_key: ${SECRET}\n  events: [whatsapp.message.received]\nconfigs:\n"
    for (c, config) in configs.enumerated() {
        lines += "  - whatsapp_config_id: \(config)\n    webhooks:\n"
        for i in 0..<perConfig {
            lines += "      - {url: https://stress.example.com/\(c)/\(i), active: \(active)}\n"
        }
    }
    return lines
}

let stressConfigs = (0..<5).map { String(format: "5a5a5a5a-0000-4000-8000-%012d", $0) }

/// Issue: under many concurrent writes against a server that closes kept-alive connections,
/// libcurl sent a request head on a connection that had just closed, then resent it on a new
/// connection without its body; the request stalled until its deadline and the write failed.
@Suite(.serialized) struct TransportStressTests {
    @Test(arguments: [(closeAfter: 3, runs: 3), (closeAfter: 1, runs: 2)])
    func fiveHundredCreatesAndPatchesAtParallelism16(closeAfter: Int, runs: Int) async throws {
        for run in 1...runs {
            let seed = SimulatorSeed(configs: stressConfigs.map { SimulatorSeed.Config(id: $0) })
            try await withRawSimulator(seed: seed, mode: .closeAfter(closeAfter)) { store, server, env in
                let dir = try makeTemporaryDirectory()
                defer { try? FileManager.default.removeItem(at: dir) }
                let create = dir.appendingPathComponent("create.yaml")
                let patch = dir.appendingPathComponent("patch.yaml")
                try bulkSpec(configs: stressConfigs, perConfig: 100, active: true).write(to: create, atomically: true, encoding: .utf8)
                try bulkSpec(configs: stressConfigs, perConfig: 100, active: false).write(to: patch, atomically: true, encoding: .utf8)
                // A 5 s deadline: a request that stalls waiting for its body fails the run quickly.
                let options = ["--auto-approve", "--parallelism", "16", "--timeout", "5"]
                let created = try await runKapsoctl(["apply", "-f", create.path] + options, environment: env)
                #expect(created.status == 0, "run \(run), close after \(closeAfter): \(created.stdout.suffix(600))\(created.stderr)")
                #expect(created.stdout.hasSuffix("Apply: 500 done, 0 failed, 0 not attempted.\n"), "run \(run)")
                let patched = try await runKapsoctl(["apply", "-f", patch.path] + options, environment: env)
                #expect(patched.status == 0, "run \(run), close after \(closeAfter): \(patched.stdout.suffix(600))\(patched.stderr)")
                #expect(patched.stdout.hasSuffix("Apply: 500 done, 0 failed, 0 not attempted.\n"), "run \(run)")
                #expect(server.incompleteBodies == 0, "run \(run): requests arrived without their body")
                let journal = await store.journal()
                #expect(journal.filter { $0.method == "POST" }.count == 500, "run \(run): a POST was sent twice or never")
                #expect(journal.filter { $0.method == "PATCH" && $0.status == 200 }.count == 500, "run \(run)")
                var hooks = 0
                for config in stressConfigs {
                    let listed = await store.webhooks(configID: config) ?? []
                    hooks += listed.count
                    #expect(listed.allSatisfy { $0["active"] == .bool(false) })
                }
                #expect(hooks == 500, "run \(run)")
                // The server really closed connections under the client.
                #expect(server.connectionsAccepted > server.requests / max(1, closeAfter) / 2)
            }
        }
    }
}
