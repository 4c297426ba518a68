// Benchmarks for kapsoctl. Prints figures as ratios against a floor measured in the same run,
// never pass/fail timings: the machines are shared and noisy.
import Foundation
@_spi(Benchmarks) import KapsoKit
import KapsoSimulator

/// Median wall time of `runs` calls of `body`, in seconds.
func median(runs: Int = 7, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return times.sorted()[runs / 2]
}

/// A realistic spec of `configs` × `perConfig` webhooks, every attribute set.
func makeSpec(configs: Int, perConfig: Int) -> String {
    var out = "version: 1\ndefaults:\n  active: true\n  headers:\n    X-Source: kapso\nconfigs:\n"
    for c in 0..<configs {
        let id = String(format: "%08x-0000-4000-8000-%012x", c, c)
        out += "  - whatsapp_config_id: \(id)\n    name: config \(c)\n    webhooks:\n"
        for w in 0..<perConfig {
            out += """
                  - url: https://hooks\(c).example.com/whatsapp/\(w)/receive
                    secret_key: ${BENCH_SECRET}
                    events: [whatsapp.message.received, whatsapp.message.sent, whatsapp.message.delivered, whatsapp.message.read]
                    headers: {X-Team: team-\(c), X-Env: production, Authorization: "Bearer ${BENCH_TOKEN}"}
                    buffer_enabled: true
                    buffer_window_seconds: 5
                    max_buffer_size: 50
                    buffer_events: [whatsapp.message.received]
                    inactivity_minutes: 60

            """
        }
    }
    return out
}

let text = makeSpec(configs: 100, perConfig: 100)
let bytes = Array(text.utf8)
let path = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-bench-\(getpid()).yaml").path
_ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
defer { try? FileManager.default.removeItem(atPath: path) }
let environment = ["BENCH_SECRET": "s", "BENCH_TOKEN": "t"]

var events = 0
let floor = median { events = YAMLBenchmarks.countEvents(bytes) }
var webhooks = 0
let full = try median {
    webhooks = try SpecLoader.load(paths: [path], environment: environment).webhookCount
}
let megabytes = Double(bytes.count) / 1_000_000
print(String(format: "spec load: %.1f MB, %d webhooks, %d libyaml events", megabytes, webhooks, events))
print(String(format: "  floor  (libyaml events only):        %7.1f ms  %6.1f MB/s", floor * 1000, megabytes / floor))
print(String(format: "  kapsoctl (read, tree, decode, merge): %7.1f ms  %6.1f MB/s  = %.2f× floor", full * 1000, megabytes / full, full / floor))

// MARK: - Client against the simulator over loopback

/// `requests` GETs of one webhook with at most `parallelism` in flight; the floor is the time the
/// simulator's latency alone imposes: ceil(requests / parallelism) × latency.
func clientRun(requests: Int, parallelism: Int, latencyMs: Int) async throws -> (seconds: Double, floor: Double) {
    let config = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
    let id = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"
    let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: config, webhooks: [
        .object(["id": .string(id), "url": .string("https://a.example.com"), "secret_key": .string("s"),
                 "events": .array([.string("whatsapp.message.sent")])]),
    ])])
    var faults = FaultPlan()
    faults.latencyMilliseconds = latencyMs
    let simulator = try KapsoSimulator(seed: seed, apiKey: "bench", faults: faults)
    let url = try await simulator.start()
    let client = KapsoClient(baseURL: url, apiKey: "bench", transport: CurlTransport(maxConnectionsPerHost: parallelism))
    let start = DispatchTime.now().uptimeNanoseconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(parallelism, requests) {
            group.addTask { _ = try await client.getWebhook(in: .config(config), id: id) }
            next += 1
        }
        while try await group.next() != nil {
            if next < requests {
                group.addTask { _ = try await client.getWebhook(in: .config(config), id: id) }
                next += 1
            }
        }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    await simulator.stop()
    let rounds = (requests + parallelism - 1) / parallelism
    return (seconds, Double(rounds * latencyMs) / 1000)
}

print("client: 200 GETs against the simulator with 20 ms latency (floor = latency × rounds)")
for parallelism in [1, 8, 16] {
    let run = try await clientRun(requests: 200, parallelism: parallelism, latencyMs: 20)
    print(String(format: "  parallelism %2d: %6.2f s, floor %5.2f s = %.2f× floor", parallelism, run.seconds, run.floor, run.seconds / run.floor))
}
let bare = try await clientRun(requests: 500, parallelism: 8, latencyMs: 0)
print(String(format: "client: 500 GETs, no latency, parallelism 8: %.2f s (%.2f ms a request)", bare.seconds, bare.seconds * 1000 / 500))

// MARK: - Reading a project of many configs

/// `configs` configs of 3 webhooks each read by StateReader at `parallelism`, the simulator answering
/// in `latencyMs`; the floor is ceil(configs / parallelism) × latency (one page per config).
func readProject(configs: Int, parallelism: Int, latencyMs: Int) async throws -> (seconds: Double, floor: Double) {
    let seed = SimulatorSeed(configs: (0..<configs).map { c in
        SimulatorSeed.Config(id: String(format: "%08x-0000-4000-8000-%012x", c, c), webhooks: (0..<3).map { w in
            .object(["url": .string("https://hooks\(c).example.com/\(w)"), "secret_key": .string("s"),
                     "events": .array([.string("whatsapp.message.received")])])
        })
    })
    var faults = FaultPlan()
    faults.latencyMilliseconds = latencyMs
    let simulator = try KapsoSimulator(seed: seed, apiKey: "bench", faults: faults)
    let url = try await simulator.start()
    let client = KapsoClient(baseURL: url, apiKey: "bench", transport: CurlTransport(maxConnectionsPerHost: parallelism))
    let ids = seed.configs.map { WebhookScope.config($0.id) }
    let start = DispatchTime.now().uptimeNanoseconds
    guard case .success(let observed) = await StateReader.read(scopes: ids, client: client, parallelism: parallelism) else {
        fatalError("read failed")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    precondition(observed.webhooks.count == configs)
    await simulator.stop()
    return (seconds, Double((configs + parallelism - 1) / parallelism * latencyMs) / 1000)
}

print("plan reads: 300 configs (WhatsApp numbers) against the simulator with 20 ms latency")
for parallelism in [8, 16, 32] {
    let run = try await readProject(configs: 300, parallelism: parallelism, latencyMs: 20)
    print(String(format: "  parallelism %2d: %5.2f s, floor %5.2f s = %.2f× floor", parallelism, run.seconds, run.floor, run.seconds / run.floor))
}
