import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

let apiKey = "e2e-api-key-CANARY-5150"
let secretCanary = "CANARY-e2e-secret-6061"
let tokenCanary = "CANARY-e2e-token-6062"
let supportConfig = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
let bulkConfig = "7f3e2d1c-0b9a-4876-9543-21fedcba9876"
let changedID = "11111111-1111-4111-8111-111111111111"
let unchangedID = "22222222-2222-4222-8222-222222222222"
let extraID = "33333333-3333-4333-8333-333333333333"
let goneID = "44444444-4444-4444-8444-444444444444"

/// A webhook object for a seed.
func seedHook(_ id: String, _ url: String, secret: String = secretCanary, events: [String] = ["whatsapp.message.sent"],
              active: Bool = true, headers: [String: String] = [:]) -> JSONValue {
    .object(["id": .string(id), "url": .string(url), "secret_key": .string(secret),
             "events": .array(events.map(JSONValue.string)), "active": .bool(active),
             "headers": .object(headers.mapValues(JSONValue.string))])
}

/// The server of the main scenario: in `support`, one webhook that differs, one equal, one not
/// declared (unmanaged); in `bulk` (pruned), 150 declared webhooks of which one differs, and one
/// not declared (deleted). The spec also declares one webhook that is missing (created).
func scenarioSeed() -> SimulatorSeed {
    let bulk = (0..<150).map { i in
        seedHook(String(format: "55555555-5555-4555-8555-%012d", i), "https://bulk.example.com/\(i)", active: i != 0)
    }
    return SimulatorSeed(configs: [
        SimulatorSeed.Config(id: supportConfig, name: "support", webhooks: [
            seedHook(changedID, "https://hooks.example.com/changed", events: ["whatsapp.message.received"],
                     headers: ["X-Team": "blue", "Authorization": "Bearer old-token"]),
            seedHook(unchangedID, "https://hooks.example.com/unchanged"),
            seedHook(extraID, "https://hooks.example.com/extra"),
        ]),
        SimulatorSeed.Config(id: bulkConfig, name: "bulk", webhooks: bulk + [seedHook(goneID, "https://bulk.example.com/gone")]),
    ])
}

/// The spec of the main scenario.
func scenarioSpec() -> String {
    var lines = """
    version: 1
    defaults:
      secret_key: ${SECRET}
    configs:
      - whatsapp_config_id: \(supportConfig)
        name: support
        webhooks:
          - url: https://hooks.example.com/changed
            events: [whatsapp.message.received, whatsapp.message.read]
            active: false
            headers: {X-Team: blue, Authorization: "Bearer ${TOKEN}"}
          - url: https://hooks.example.com/unchanged
            events: [whatsapp.message.sent]
          - url: https://hooks.example.com/missing
            events: [whatsapp.message.received, whatsapp.message.delivered]
            buffer_enabled: true
            buffer_window_seconds: 10
            buffer_events: [whatsapp.message.received]
      - whatsapp_config_id: \(bulkConfig)
        name: bulk
        prune: true
        webhooks:

    """
    for i in 0..<150 {
        lines += "      - {url: https://bulk.example.com/\(i), events: [whatsapp.message.sent], active: true}\n"
    }
    return lines
}

/// The environment a run of the binary gets: the API, the key and the spec's secrets.
func scenarioEnvironment(_ url: URL) -> [String: String] {
    ["KAPSO_API_URL": url.absoluteString, "KAPSO_API_KEY": apiKey, "SECRET": secretCanary, "TOKEN": tokenCanary]
}

/// A simulator with `seed`, a temporary directory holding `spec` as `webhooks.yaml`, and the
/// environment to run the binary against them.
func withScenario(seed: SimulatorSeed = scenarioSeed(), spec: String = scenarioSpec(), faults: FaultPlan = .none,
                  _ body: (KapsoSimulator, URL, [String: String]) async throws -> Void) async throws {
    try await withRunningSimulator(seed: seed, apiKey: apiKey, faults: faults) { simulator, url in
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        try await body(simulator, dir, scenarioEnvironment(url))
    }
}

extension KapsoSimulator {
    /// The write requests received so far.
    func writes() async -> [JournalEntry] {
        await store.journal().filter(\.isWrite)
    }
}

/// Fails when a canary value shows in any output.
func expectNoCanary(_ texts: String..., sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for text in texts {
        for canary in [apiKey, secretCanary, tokenCanary, "old-token"] {
            #expect(!text.contains(canary), "'\(canary)' leaked", sourceLocation: sourceLocation)
        }
    }
}

/// A `plan --detailed-exitcode` after an apply: no change left; exit 0, or 2 when the only drift is
/// a webhook on the server the spec does not declare (unmanaged).
func expectConverged(_ result: RunResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let summary = result.stdout.split(separator: "\n").last { $0.hasPrefix("Plan: ") }.map(String.init) ?? ""
    #expect(summary.hasPrefix("Plan: 0 to create, 0 to update, 0 to delete, ") && !summary.contains("to replace"), "\(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    let unmanaged = summary.contains(" 0 unmanaged") ? 0 : 1
    #expect(result.status == (unmanaged > 0 ? 2 : 0), "\(result.status): \(summary)", sourceLocation: sourceLocation)
}
