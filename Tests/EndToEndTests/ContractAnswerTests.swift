import Foundation
@testable import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Answers the Platform v1 contract allows, from a purpose-built server.
@Suite struct ContractAnswerTests {
    /// PATCH may answer `204 No Content` with no body: success; the webhook is read back to check
    /// what the server stored, and the next plan is empty.
    @Test func aPatchAnswered204IsSuccess() async throws {
        let id = "11111111-2222-4333-8444-555555555555"
        let stored = Locked<JSONValue>(.object(["id": .string(id), "url": "https://hooks.example.com/a", "events": ["whatsapp.message.received"],
                                                "active": false]))
        let requests = Locked<[String]>([])
        let server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            requests.withLock { $0.append("\(request.method) \(request.path)") }
            let webhooks = "/api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks"
            switch (request.method, request.path) {
            case ("GET", webhooks):
                let list = JSONValue.object(["data": .array([stored.withLock { $0 }]),
                                             "meta": .object(["page": 1, "per_page": 100, "total_pages": 1, "total_count": 1])])
                return RawResponse(status: 200, headers: ["Content-Type": "application/json"], body: list.serialized())
            case ("GET", webhooks + "/" + id):
                return RawResponse(status: 200, headers: ["Content-Type": "application/json"], body: JSONValue.object(["data": stored.withLock { $0 }]).serialized())
            case ("PATCH", webhooks + "/" + id):
                if let body = try? JSONValue.parse(request.body), case .object(let fields)? = body["whatsapp_webhook"] {
                    stored.withLock { value in
                        guard case .object(var object) = value else { return }
                        for (key, field) in fields { object[key] = field }
                        value = .object(object)
                    }
                }
                return RawResponse(status: 204)
            default:
                return RawResponse(status: 500)
            }
        }
        defer { server.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: https://hooks.example.com/a, events: [whatsapp.message.received], active: true}\n"
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let env = ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": server.origin.absoluteString + "/api/v1"]
        let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("Apply: 1 done, 0 failed, 0 not attempted."), "\(apply.stdout)")
        #expect(requests.withLock { $0 }.contains("GET /api/v1/whatsapp_configs/\(supportConfig)/whatsapp_webhooks/\(id)"), "read back")
        let plan = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
    }
}
