/// `apply --format json`: the report as one versioned document for pipelines. Each write names
/// its action, where it is (as the plan JSON does), the webhook's id (and the id this run created),
/// the URL as outputs show it, the outcome with its detail in words, and the final status and
/// number of attempts of its request. No body and no secret: the report holds none.
extension ApplyReport {
    public static let jsonFormatVersion = 1

    public func json() -> String {
        let writes: [JSONValue] = entries.map { entry in
            let (outcome, detail): (String, String?) = switch entry.outcome {
            case .done(let text): ("done", text)
            case .failed(let text): ("failed", text)
            case .unknown(let text): ("unknown", text)
            case .notAttempted: ("not_attempted", nil)
            }
            var object: [String: JSONValue] = [
                "action": .string(entry.write.action.rawValue),
                "webhook_id": entry.write.webhookID.map(JSONValue.string) ?? .null,
                "created_id": entry.createdID.map(JSONValue.string) ?? .null,
                "url": .string(entry.write.displayURL),
                "fields": .array(entry.write.fields.map(JSONValue.string)),
                "outcome": .string(outcome),
                "detail": detail.map(JSONValue.string) ?? .null,
                "status": entry.status.map(JSONValue.int) ?? .null,
                "attempts": entry.attempts.map(JSONValue.int) ?? .null,
            ]
            object.merge(JSONRenderer.scopeKeys(entry.write.scope)) { $1 }
            return .object(object)
        }
        let document: JSONValue = .object([
            "kind": .string("kapsoctl-apply-report"),
            "format_version": .int(Self.jsonFormatVersion),
            "writes": .array(writes),
            "summary": .object(["done": .int(done), "failed": .int(failed), "unknown": .int(unknown), "not_attempted": .int(notAttempted)]),
            "exit_code": .int(Int(exitCode)),
        ])
        return String(decoding: document.pretty(), as: UTF8.self)
    }
}
