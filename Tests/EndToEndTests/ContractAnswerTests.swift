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

/// `phone_number_id` is optional in the OpenAPI webhook schema: a project list that leaves it out
/// does not make number webhooks project webhooks. kapsoctl reads every number's own list and
/// places each webhook where a list holds it.
@Suite struct UnplacedWebhookTests {
    @Test func numbersOwnListsPlaceWhatTheProjectListDoesNot() async throws {
        let numberHook = "11111111-2222-4333-8444-555555555551"
        let projectHook = "11111111-2222-4333-8444-555555555552"
        @Sendable func hook(_ id: String, _ url: String, _ events: [JSONValue]) -> JSONValue {
            .object(["id": .string(id), "url": .string(url), "events": .array(events), "kind": "kapso", "payload_version": "v2", "active": true])
        }
        let number = hook(numberHook, "https://hooks.example.com/number", ["whatsapp.message.received"])
        let project = hook(projectHook, "https://ops.example.com/project", ["workflow.execution.failed"])
        @Sendable func page(_ items: [JSONValue]) -> Data {
            JSONValue.object(["data": .array(items), "meta": .object(["page": 1, "per_page": 100, "total_pages": 1, "total_count": .int(items.count)])]).serialized()
        }
        let writes = Locked<[String]>([])
        let server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            let json = ["Content-Type": "application/json"]
            switch (request.method, request.path) {
            case ("GET", "/platform/v1/whatsapp/webhooks"): return RawResponse(status: 200, headers: json, body: page([number, project]))
            case ("GET", "/platform/v1/whatsapp/phone_numbers"):
                return RawResponse(status: 200, headers: json, body: page([.object(["id": "1234567890", "phone_number_id": "1234567890", "name": "support"]),
                                                                           .object(["id": "1234567899", "phone_number_id": "1234567899", "name": "other"])]))
            case ("GET", "/platform/v1/whatsapp/phone_numbers/1234567890/webhooks"): return RawResponse(status: 200, headers: json, body: page([number]))
            case ("GET", "/platform/v1/whatsapp/phone_numbers/1234567899/webhooks"): return RawResponse(status: 200, headers: json, body: page([]))
            default:
                writes.withLock { $0.append("\(request.method) \(request.path)") }
                return RawResponse(status: 500)
            }
        }
        defer { server.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = """
            version: 1
            api: platform
            phone_numbers:
              - phone_number_id: "1234567890"
                prune: true
                webhooks:
                  - {url: https://hooks.example.com/number, events: [whatsapp.message.received]}
            project:
              prune: true
              webhooks:
                - {url: https://ops.example.com/project, events: [workflow.execution.failed]}
            """
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let env = ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": server.origin.absoluteString + "/platform/v1"]
        let plan = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to delete, 2 unchanged"), "\(plan.stdout)")
        let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(writes.withLock { $0 }.isEmpty, "\(writes.withLock { $0 })")
    }
}
