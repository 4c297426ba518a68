// Benchmarks for kapsoctl. Prints figures as ratios against a floor measured in the same run,
// never pass/fail timings: the machines are shared and noisy.
import Foundation
@_spi(Benchmarks) import KapsoKit

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
FileManager.default.createFile(atPath: path, contents: Data(bytes))
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
