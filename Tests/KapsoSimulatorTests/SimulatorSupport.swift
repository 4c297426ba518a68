import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

let simKey = "sim-test-key-CANARY-0001"
let configID = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
let otherConfigID = "7f3e2d1c-0b9a-4876-9543-21fedcba9876"

/// A simulator with `seed` that expects ``simKey``, for `body`.
func withSimulator(_ seed: SimulatorSeed = .empty, faults: FaultPlan = .none,
                   _ body: (KapsoSimulator, URL) async throws -> Void) async throws {
    try await withRunningSimulator(seed: seed, apiKey: simKey, faults: faults, body)
}

/// A seed of one config with `count` webhooks `https://hooks.example.com/<i>` (oldest first).
func seed(count: Int, config: String = configID) -> SimulatorSeed {
    SimulatorSeed(configs: [SimulatorSeed.Config(id: config, webhooks: (0..<count).map { i in
        .object(["url": .string("https://hooks.example.com/\(i)"), "secret_key": .string("secret-\(i)"),
                 "events": .array([.string("whatsapp.message.received")])])
    })])
}

/// A raw answer of the simulator.
struct Answer {
    var status: Int
    var headers: [String: String]
    var json: JSONValue?
    var body: Data
}

/// Sends one raw request over loopback HTTP (the real transport, no client logic). Each call has a
/// transport of its own, so no test queues behind another's connections.
func call(_ method: String, _ url: URL, _ path: String, key: String? = simKey, body: String? = nil) async throws -> Answer {
    var headers: [String: String] = [:]
    if let key { headers["X-API-Key"] = key }
    if body != nil { headers["Content-Type"] = "application/json" }
    let target = URL(string: url.absoluteString + path)!
    let response = try await CurlTransport(maxConnectionsPerHost: 2).send(HTTPRequestData(method: method, url: target, headers: headers,
                                                               body: body.map { Data($0.utf8) }, timeout: 10))
    return Answer(status: response.status, headers: response.headers, json: try? JSONValue.parse(response.body), body: response.body)
}

/// The simulator's origin (`http://127.0.0.1:PORT`), for the `/__sim/` endpoints.
func origin(_ url: URL) -> URL {
    URL(string: url.absoluteString.replacingOccurrences(of: "/api/v1", with: ""))!
}

