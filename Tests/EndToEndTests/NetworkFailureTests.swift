import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Network failures reach the operator in words — never as an error code or a Swift case name —
/// in normal and in `--verbose` output.
@Suite struct NetworkFailureTests {
    private let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks: []\n"

    private func plan(apiURL: String, _ extra: [String] = []) async throws -> RunResult {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        return try await runKapsoctl(["plan", "--api-url", apiURL, "--timeout", "5"] + extra,
                                     environment: ["KAPSO_API_KEY": apiKey], directory: dir)
    }

    private func expectInWords(_ result: RunResult, _ words: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, sourceLocation: sourceLocation)
        #expect(result.stderr.contains(words), "\(result.stderr)", sourceLocation: sourceLocation)
        for code in ["-100", "connection(", "timedOut", "URLError", "network error"] {
            #expect(!result.stderr.contains(code), "\(result.stderr)", sourceLocation: sourceLocation)
        }
        expectNoCanary(result.stdout, result.stderr)
    }

    @Test func connectionRefused() async throws {
        let refused = try RefusedPort()
        let port = refused.port
        defer { withExtendedLifetime(refused) {} }
        let quiet = try await plan(apiURL: "http://127.0.0.1:\(port)/api/v1", ["--retry-budget", "0"])
        // The host is named: a connection error says where it could not go.
        expectInWords(quiet, "could not connect to 127.0.0.1:\(port) (connection refused or host unreachable)")
        let verbose = try await plan(apiURL: "http://127.0.0.1:\(port)/api/v1", ["--verbose", "--retry-budget", "0"])
        expectInWords(verbose, "kapsoctl: GET /whatsapp_configs/\(supportConfig)/whatsapp_webhooks?page=1&per_page=100 → could not connect to the host")
    }

    @Test func unknownHost() async throws {
        let result = try await plan(apiURL: "https://kapsoctl-test.invalid/api/v1", ["--verbose", "--retry-budget", "0"])
        expectInWords(result, "could not resolve the host name kapsoctl-test.invalid")
    }

    @Test func failedTLSHandshake() async throws {
        try await withServerSlot {
            let server = try RawHTTPServer(mode: .notHTTP) { _ in RawResponse(status: 500) }
            defer { server.stop() }
            let result = try await plan(apiURL: "https://127.0.0.1:\(server.port)/api/v1", ["--verbose", "--retry-budget", "0"])
            expectInWords(result, "TLS handshake failed")
        }
    }

    @Test func spentRetryBudgetIsNamedAndTheBackoffIsLogged() async throws {
        var faults = FaultPlan()
        faults.rateLimitFirst = 1_000_000
        faults.retryAfterSeconds = nil
        try await withScenario(spec: spec, faults: faults) { simulator, dir, env in
            // 2 s: the first wait is at most 0.5 s, with room for a first answer a loaded machine gives late.
            let result = try await runKapsoctl(["plan", "--verbose", "--retry-budget", "2"], environment: env, directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("429 Too Many Requests: Rate limit exceeded: Too many requests."), "\(result.stderr)")
            #expect(result.stderr.contains("the retry budget of 2 s is spent; --retry-budget sets it"), "\(result.stderr)")
            #expect(result.stderr.contains("→ 429 Too Many Requests in "))
            #expect(result.stderr.contains("; retrying in "))
            let attempts = await simulator.store.journal().count
            #expect(attempts >= 2, "the budget allows a few retries")
            expectNoCanary(result.stdout, result.stderr)
        }
    }
}
