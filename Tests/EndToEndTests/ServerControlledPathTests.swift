import Foundation
@testable import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Ids from the server go into request paths only when they have the documented shape.
@Suite struct ServerControlledPathTests {
    /// A purpose-built server (the simulator's seeds refuse such ids): a config whose list holds
    /// webhooks with hostile ids; every other request is recorded.
    @Test(arguments: ["..", ".", "", "../../whatsapp_configs", "%2e%2e", "11111111-2222-4333-8444-55555555555/"])
    func hostileWebhookIDs(_ id: String) async throws {
        let others = Locked<[String]>([])
        let list = JSONValue.object(["data": .array([
            .object(["id": .string(id), "url": "https://old.example.com/x", "secret_key": "x", "events": ["whatsapp.message.received"]]),
            .object(["id": .string(id + "~"), "url": "https://hooks.example.com/a", "secret_key": "x", "events": ["whatsapp.message.sent"]]),
        ]), "meta": .object(["page": 1, "per_page": 100, "total_pages": 1, "total_count": 2])])
        let server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            if request.method == "GET", request.path == "/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks" {
                return RawResponse(status: 200, headers: ["Content-Type": "application/json"], body: list.serialized())
            }
            others.withLock { $0.append("\(request.method) \(request.path)") }
            return RawResponse(status: 500)
        }
        defer { server.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/a, events: [whatsapp.message.received]}\n"
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let env = ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": server.origin.absoluteString + "/api/v1"]
        let apply = try await runKapsoctl(["apply", "--auto-approve", "--prune"], environment: env, directory: dir)
        #expect(apply.status == 1, "\(apply.stdout)\(apply.stderr)")
        #expect((apply.stdout + apply.stderr).contains("is not a UUID, the shape the API documents for webhook ids"), "\(apply.stdout)\(apply.stderr)")
        #expect(others.withLock { $0 }.isEmpty, "\(others.withLock { $0 })")
    }

    @Test func segmentsAreEncoded() throws {
        #expect(KapsoClient.segment("a.b/c d") == "a%2Eb%2Fc%20d")
        #expect(KapsoClient.isWebhookID("11111111-2222-4333-8444-555555555555") && !KapsoClient.isWebhookID(".."))
        #expect(throws: APIError.self) { try KapsoClient.member("DELETE", .config(supportConfig), "..") }
    }
}

/// A key revoked mid-apply: at the first 401 no further request starts.
@Suite struct RevokedKeyTests {
    @Test func theFirst401StopsTheRun() async throws {
        let requests = Locked<[String]>([])
        let created = Locked(0)
        let empty = JSONValue.object(["data": .array([]), "meta": .object(["page": 1, "per_page": 100, "total_pages": 1, "total_count": 0])])
        let server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            let count = requests.withLock { list -> Int in
                list.append("\(request.method) \(request.path)")
                return list.count
            }
            // The plan's read and the first create's fresh read and POST pass; then the key is revoked.
            if count <= 3 {
                if request.method == "POST" {
                    created.withLock { $0 += 1 }
                    return RawResponse(status: 201, headers: ["Content-Type": "application/json"],
                                       body: JSONValue.object(["data": .object(["id": "11111111-2222-4333-8444-555555555555", "url": "https://hooks.example.com/n0",
                                                                                   "events": ["whatsapp.message.sent"], "active": true])]).serialized())
                }
                return RawResponse(status: 200, headers: ["Content-Type": "application/json"], body: empty.serialized())
            }
            return RawResponse(status: 401, headers: ["Content-Type": "application/json"], body: Data(#"{"error":"Invalid API key"}"#.utf8))
        }
        defer { server.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
            + (0..<40).map { "      - {url: https://hooks.example.com/n\($0), secret_key: s3cret, events: [whatsapp.message.sent]}\n" }.joined()
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let env = ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": server.origin.absoluteString + "/api/v1"]
        let apply = try await runKapsoctl(["apply", "--auto-approve", "--parallelism", "4"], environment: env, directory: dir)
        #expect(apply.status == 3, "\(apply.stdout)\(apply.stderr)")
        let after401 = requests.withLock { $0.count } - 3
        // At most the requests already in flight when the first 401 came (parallelism 4).
        #expect(after401 <= 4, "\(after401) requests after the first 401: \(requests.withLock { $0 })")
        #expect(apply.stdout.contains("not attempted"), "\(apply.stdout)")
    }
}

/// An API that never answers is said once, early: not every config waits out its own timeouts.
@Suite struct UnreachableServerTests {
    /// A loopback listener that never accepts: connections queue and requests time out.
    private final class Silent: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            listen(fd, 128)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            port = UInt16(bigEndian: address.sin_port)
        }
        deinit { close(fd) }
    }

    private func spec(configs: Int) -> String {
        "version: 1\nconfigs:\n" + (0..<configs).map {
            "  - whatsapp_config_id: \(String(format: "4a5b6c7d-8e9f-0a1b-2c3d-%012d", $0))\n    webhooks: []\n"
        }.joined()
    }

    @Test func aServerThatNeverAnswers() async throws {
        let silent = try Silent()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec(configs: 40).write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let env = ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": "http://127.0.0.1:\(silent.port)/api/v1"]
        let plan = try await runKapsoctl(["plan", "--timeout", "0.5"], environment: env, directory: dir)
        #expect(plan.status == 1)
        let errors = plan.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1, "\(plan.stderr)")
        #expect(plan.stderr.contains("error: the API does not answer, so nothing was read (40 reads failed alike): "), "\(plan.stderr)")
        #expect(plan.stderr.contains("has answered none of this run's requests (3 attempts went unanswered, the first: timed out)"), "\(plan.stderr)")
    }

    @Test func aRefusedPort() async throws {
        let refused = try RefusedPort()
        let port = refused.port
        defer { withExtendedLifetime(refused) {} }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec(configs: 40).write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let plan = try await runKapsoctl(["plan"], environment: ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": "http://127.0.0.1:\(port)/api/v1"], directory: dir)
        #expect(plan.status == 1)
        #expect(plan.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count == 1, "\(plan.stderr)")
        #expect(plan.stderr.contains("could not connect to the host"), "\(plan.stderr)")
        #expect(plan.stderr.contains("the API at 127.0.0.1 has answered none of this run's requests"), "\(plan.stderr)")
    }
}
