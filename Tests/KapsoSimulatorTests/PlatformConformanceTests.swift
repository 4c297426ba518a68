import Foundation
import KapsoKit
import KapsoSimulator
import Testing

private let number = "1234567890"
private let hookID = "cccccccc-1111-4111-8111-000000000001"
private let projectHookID = "cccccccc-1111-4111-8111-000000000002"
private let unknownID = "cccccccc-1111-4111-8111-0000000000ff"

/// What a documented answer holds (the schemas of `reference/kapso-platform-v1-webhooks.openapi.yaml`).
private enum Shape {
    case webhook, webhookList, number, numberList, error, testQueued, empty

    /// The problems of `json` against the shape; empty when it conforms.
    func problems(_ json: JSONValue?) -> [String] {
        switch self {
        case .empty: return json == nil ? [] : ["a body where none is documented"]
        case .error: return Self.keys(json, ["error": .text])
        case .testQueued: return Self.keys(json?["data"], ["success": .flag])
        case .webhook: return Self.webhook(json?["data"])
        case .number: return Self.number(json?["data"])
        case .webhookList: return Self.list(json) { Self.webhook($0) }
        case .numberList: return Self.list(json) { Self.number($0) }
        }
    }

    private enum Kind { case text, flag, list, time, integer }

    /// WhatsappWebhook's required properties.
    private static func webhook(_ json: JSONValue?) -> [String] {
        keys(json, ["id": .text, "url": .text, "kind": .text, "events": .list, "active": .flag,
                    "created_at": .time, "updated_at": .time, "project_id": .text])
            + (["kapso", "meta"].contains(json?["kind"]?.string ?? "") ? [] : ["kind is neither kapso nor meta"])
    }

    /// WhatsappPhoneNumber's required properties; `id` is Meta's number id, as `phone_number_id`.
    private static func number(_ json: JSONValue?) -> [String] {
        keys(json, ["id": .text, "internal_id": .text, "phone_number_id": .text, "name": .text, "created_at": .time, "updated_at": .time])
            + (json?["id"] == json?["phone_number_id"] ? [] : ["id is not the phone_number_id"])
            + (UUID(uuidString: json?["internal_id"]?.string ?? "") != nil ? [] : ["internal_id is not a uuid"])
    }

    /// `{data: [...], meta: PaginationMeta}`.
    private static func list(_ json: JSONValue?, _ item: (JSONValue) -> [String]) -> [String] {
        guard let items = json?["data"]?.array else { return ["no data list"] }
        return items.flatMap(item) + keys(json?["meta"], ["page": .integer, "per_page": .integer, "total_pages": .integer, "total_count": .integer])
    }

    private static func keys(_ json: JSONValue?, _ required: [String: Kind]) -> [String] {
        guard case .object(let object)? = json else { return ["not an object: \(String(describing: json))"] }
        return required.sorted { $0.key < $1.key }.compactMap { key, kind in
            let value = object[key]
            let ok = switch kind {
            case .text: value?.string != nil
            case .flag: if case .bool? = value { true } else { false }
            case .list: value?.array != nil
            case .integer: value?.int != nil
            case .time: value?.string.flatMap(ISOTime.seconds) != nil
            }
            return ok ? nil : "'\(key)' missing or not \(kind)"
        }
    }
}

/// One documented request and what the OpenAPI document says it answers.
private struct Probe: CustomStringConvertible {
    var method: String
    var path: String
    var body: String? = nil
    var status: Int
    var shape: Shape
    var description: String { "\(method) \(path)" }
}

private func webhook(_ fields: String) -> String { #"{"whatsapp_webhook": {\#(fields)}}"# }

/// The simulator's Platform routes, probed in order against the documented statuses and shapes
/// (issue 18, item 5; `SimulatorAPITests` does the same for the legacy routes): every status of the
/// transcribed OpenAPI that a request can provoke, on every route, and 401 without the key.
@Suite struct PlatformConformanceTests {
    private let probes: [Probe] = [
        Probe(method: "GET", path: "/whatsapp/phone_numbers", status: 200, shape: .numberList),
        Probe(method: "GET", path: "/whatsapp/phone_numbers?phone_number_id=\(number)", status: 200, shape: .numberList),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/\(number)", status: 200, shape: .number),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/999", status: 404, shape: .error),
        Probe(method: "GET", path: "/whatsapp/webhooks?page=1&per_page=2", status: 200, shape: .webhookList),
        Probe(method: "POST", path: "/whatsapp/webhooks", body: webhook(#""url": "https://ops.example.com/new", "events": ["workflow.execution.failed"]"#),
              status: 201, shape: .webhook),
        Probe(method: "POST", path: "/whatsapp/webhooks", body: webhook(#""url": "https://a.example.com", "events": ["whatsapp.message.sent"], "phone_number_id": "999""#),
              status: 404, shape: .error),
        Probe(method: "POST", path: "/whatsapp/webhooks", body: webhook(#""url": "https://ops.example.com/e", "events": ["project.event"]"#),
              status: 402, shape: .error),
        Probe(method: "POST", path: "/whatsapp/webhooks", body: webhook(#""url": "https://ops.example.com/x", "events": ["no.such.event"]"#),
              status: 422, shape: .error),
        Probe(method: "GET", path: "/whatsapp/webhooks/\(hookID)", status: 200, shape: .webhook),
        Probe(method: "GET", path: "/whatsapp/webhooks/\(unknownID)", status: 404, shape: .error),
        Probe(method: "PATCH", path: "/whatsapp/webhooks/\(hookID)", body: webhook(#""active": false"#), status: 200, shape: .webhook),
        Probe(method: "PATCH", path: "/whatsapp/webhooks/\(hookID)", body: webhook(#""buffer_window_seconds": 99"#), status: 422, shape: .error),
        Probe(method: "PATCH", path: "/whatsapp/webhooks/\(unknownID)", body: webhook(#""active": true"#), status: 404, shape: .error),
        Probe(method: "POST", path: "/whatsapp/webhooks/\(hookID)/test", body: "{}", status: 200, shape: .testQueued),
        Probe(method: "POST", path: "/whatsapp/webhooks/\(hookID)/test", body: #"{"event_type": "whatsapp.message.sent"}"#, status: 422, shape: .error),
        Probe(method: "POST", path: "/whatsapp/webhooks/\(unknownID)/test", body: "{}", status: 404, shape: .error),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/\(number)/webhooks", status: 200, shape: .webhookList),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/999/webhooks", status: 404, shape: .error),
        Probe(method: "POST", path: "/whatsapp/phone_numbers/\(number)/webhooks",
              body: webhook(#""url": "https://hooks.example.com/new", "events": ["whatsapp.message.sent"]"#), status: 201, shape: .webhook),
        Probe(method: "POST", path: "/whatsapp/phone_numbers/\(number)/webhooks", body: webhook(#""url": "https://hooks.example.com/none""#),
              status: 422, shape: .error),
        Probe(method: "POST", path: "/whatsapp/phone_numbers/999/webhooks",
              body: webhook(#""url": "https://hooks.example.com/new", "events": ["whatsapp.message.sent"]"#), status: 404, shape: .error),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(hookID)", status: 200, shape: .webhook),
        Probe(method: "GET", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(projectHookID)", status: 404, shape: .error),
        Probe(method: "PATCH", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(hookID)", body: webhook(#""active": true"#), status: 200, shape: .webhook),
        Probe(method: "PATCH", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(hookID)", body: webhook(#""kind": "meta""#), status: 422, shape: .error),
        Probe(method: "DELETE", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(hookID)", status: 204, shape: .empty),
        Probe(method: "DELETE", path: "/whatsapp/phone_numbers/\(number)/webhooks/\(hookID)", status: 404, shape: .error),
        Probe(method: "DELETE", path: "/whatsapp/webhooks/\(projectHookID)", status: 204, shape: .empty),
        Probe(method: "DELETE", path: "/whatsapp/webhooks/\(projectHookID)", status: 404, shape: .error),
    ]

    private func seed() throws -> SimulatorSeed {
        try SimulatorSeed.parse(json: """
        {"phone_numbers": [{"phone_number_id": "\(number)", "internal_id": "\(configID)", "name": "support",
                            "webhooks": [{"id": "\(hookID)", "url": "https://hooks.example.com/a", "events": ["whatsapp.message.received"]}]}],
         "project": {"webhooks": [{"id": "\(projectHookID)", "url": "https://ops.example.com/p", "events": ["workflow.execution.failed"]}]}}
        """)
    }

    @Test func everyRouteAnswersAsDocumented() async throws {
        try await withSimulator(try seed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            for probe in probes {
                let answer = try await call(probe.method, url, probe.path, body: probe.body)
                #expect(answer.status == probe.status, "\(probe): \(String(decoding: answer.body, as: UTF8.self))")
                let problems = probe.shape.problems(answer.body.isEmpty ? nil : answer.json)
                #expect(problems.isEmpty, "\(probe): \(problems)")
            }
            // The routes the probes cover: every one of the document.
            let covered = Set(probes.map { "\($0.method) " + $0.path.split(separator: "?")[0]
                .replacingOccurrences(of: number, with: "{pid}").replacingOccurrences(of: "999", with: "{pid}")
                .replacingOccurrences(of: hookID, with: "{id}").replacingOccurrences(of: projectHookID, with: "{id}")
                .replacingOccurrences(of: unknownID, with: "{id}") })
            #expect(covered == ["GET /whatsapp/phone_numbers", "GET /whatsapp/phone_numbers/{pid}", "GET /whatsapp/webhooks",
                                "POST /whatsapp/webhooks", "GET /whatsapp/webhooks/{id}", "PATCH /whatsapp/webhooks/{id}",
                                "DELETE /whatsapp/webhooks/{id}", "POST /whatsapp/webhooks/{id}/test",
                                "GET /whatsapp/phone_numbers/{pid}/webhooks", "POST /whatsapp/phone_numbers/{pid}/webhooks",
                                "GET /whatsapp/phone_numbers/{pid}/webhooks/{id}", "PATCH /whatsapp/phone_numbers/{pid}/webhooks/{id}",
                                "DELETE /whatsapp/phone_numbers/{pid}/webhooks/{id}"])
        }
    }

    /// Every route is 401 without the key, with the documented error shape.
    @Test func everyRouteNeedsTheKey() async throws {
        try await withSimulator(try seed()) { _, legacy in
            let url = KapsoSimulator.platformURL(from: legacy)
            for probe in probes {
                let answer = try await call(probe.method, url, probe.path, key: nil, body: probe.body)
                #expect(answer.status == 401, "\(probe)")
                #expect(Shape.error.problems(answer.json).isEmpty, "\(probe)")
            }
        }
    }
}
