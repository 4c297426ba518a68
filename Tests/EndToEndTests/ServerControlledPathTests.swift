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
