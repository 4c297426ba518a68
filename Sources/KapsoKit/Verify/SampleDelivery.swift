import Foundation

/// One webhook delivery built the way Kapso builds it (`../shared/KAPSO_API.md`, "Deliveries"):
/// a JSON body for one event, `X-Webhook-Signature` = hex HMAC-SHA256 of the exact body bytes keyed
/// by the webhook's `secret_key`, `X-Webhook-Event`, `X-Idempotency-Key`,
/// `X-Webhook-Payload-Version`, the webhook's own `headers`, and ``testHeader`` so a receiver can
/// tell a test from a real event. `kapsoctl verify` sends it; the simulator's test route sends it.
public struct SampleDelivery: Sendable {
    /// How the delivery is signed: correctly, with a wrong signature, or not at all (the probes of
    /// `--probe-signature`).
    public enum Signing: Sendable, Equatable {
        case correct, wrong, none
    }

    /// Marks every delivery kapsoctl (or the simulator's test route) sends: `X-Webhook-Test: true`.
    public static let testHeader = (name: "X-Webhook-Test", value: "true")
    /// Kapso's own headers, which a webhook's `headers` cannot replace.
    static let ownHeaders: Set<String> = ["content-type", "x-webhook-event", "x-webhook-signature", "x-idempotency-key",
                                          "x-webhook-payload-version", "x-webhook-test", "x-webhook-batch", "x-batch-size"]

    public var event: String
    public var payloadVersion: String
    /// The bytes sent, and signed.
    public var body: [UInt8]
    /// In the order sent.
    public var headers: [(name: String, value: String)]
    /// The signature header's value, or nil when unsigned.
    public var signature: String?

    /// - Parameters:
    ///   - scope: where the webhook lives (its id fills the body's ids).
    ///   - headers: the webhook's own `headers`, sent after Kapso's (sorted by name).
    public init(event: String, payloadVersion: String, scope: WebhookScope, secretKey: String,
                headers custom: [String: String], idempotencyKey: String, time: Date, signing: Signing = .correct) {
        self.event = event
        self.payloadVersion = payloadVersion
        body = Array(SamplePayload.body(event: event, payloadVersion: payloadVersion, scope: scope, time: time).serialized())
        switch signing {
        case .correct: signature = Self.signature(of: body, secretKey: secretKey)
        case .wrong: signature = Self.signature(of: body, secretKey: "kapsoctl: not the secret\u{0}" + secretKey)
        case .none: signature = nil
        }
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("X-Webhook-Event", event)]
        if let signature { headers.append(("X-Webhook-Signature", signature)) }
        headers += [("X-Idempotency-Key", idempotencyKey), ("X-Webhook-Payload-Version", payloadVersion), Self.testHeader]
        for name in custom.keys.sorted() where !Self.ownHeaders.contains(name.lowercased()) {
            headers.append((name, custom[name]!))
        }
        self.headers = headers
    }

    /// The POST that carries this delivery to `url`, within Kapso's 10 s.
    public func request(to url: URL, userAgent: String) -> HTTPRequestData {
        var fields = ["User-Agent": userAgent]
        for header in headers { fields[header.name] = header.value }
        return HTTPRequestData(method: "POST", url: url, headers: fields, body: Data(body), timeout: EndpointVerifier.deadline)
    }

    /// Hex HMAC-SHA256 of `body` keyed by the UTF-8 bytes of `secretKey`: what a receiver computes to
    /// check `X-Webhook-Signature`.
    public static func signature(of body: [UInt8], secretKey: String) -> String {
        SHA256.hex(SHA256.hmac(key: Array(secretKey.utf8), message: body))
    }

    /// The payload version a webhook receives: its `payload_version`, else Kapso's default (`v2`).
    public static func payloadVersion(of attributes: WebhookAttributes) -> String {
        attributes[.payloadVersion]?.string ?? "v2"
    }
}

/// The sample bodies: one per event type and payload version, shaped as Kapso's documentation shows
/// its deliveries (v2: phone-number-first, Meta-style message with a `kapso` object; v1: a nested
/// `whatsapp_config`, `message_type` and `content`). Values are fixed samples — a fictional
/// +1 555 number, fixed ids — except the time, which is the run's.
enum SamplePayload {
    static let contact = "15550000001"
    static let conversationID = "00000000-0000-4000-8000-00000000c0c0"
    static let messageID = "wamid.KAPSOCTL.VERIFY.SAMPLE"
    static let projectID = "00000000-0000-4000-8000-0000000000aa"
    static let customerID = "00000000-0000-4000-8000-0000000000bb"
    /// A sample phone number id for webhooks whose scope names none (a legacy config, the project).
    static let samplePhoneNumberID = "100000000000000"

    static func body(event: String, payloadVersion: String, scope: WebhookScope, time: Date) -> JSONValue {
        let iso = ISOTime.string(time)
        let unix = String(Int(time.timeIntervalSince1970))
        let phoneNumberID: String
        if case .phoneNumber(let id) = scope { phoneNumberID = id } else { phoneNumberID = samplePhoneNumberID }
        let configID = scope.id.flatMap { $0.contains("-") ? $0 : nil } ?? "00000000-0000-4000-8000-0000000000cc"
        let inbound = event == "whatsapp.message.received"
        let status: String = switch event {
        case "whatsapp.message.received": "received"
        case "whatsapp.message.delivered": "delivered"
        case "whatsapp.message.read": "read"
        case "whatsapp.message.failed": "failed"
        default: "sent"
        }
        let text = "kapsoctl verify: a sample message"
        let conversationStatus: String = switch event {
        case "whatsapp.conversation.ended": "ended"
        case "whatsapp.conversation.inactive": "inactive"
        default: "active"
        }

        if event.hasPrefix("whatsapp.message.") || event.hasPrefix("whatsapp.conversation.") {
            let isMessage = event.hasPrefix("whatsapp.message.")
            if payloadVersion == "v1" {
                var object: [String: JSONValue] = [
                    "conversation": ["id": .string(conversationID), "phone_number": .string("+" + contact), "status": .string(conversationStatus),
                                     "whatsapp_config_id": .string(configID), "created_at": .string(iso)],
                    "whatsapp_config": ["id": .string(configID), "phone_number_id": .string(phoneNumberID), "display_phone_number": "+15550000000"],
                ]
                if isMessage {
                    object["message"] = ["id": .string(messageID), "message_type": "text", "content": .string(text),
                                         "direction": .string(inbound ? "inbound" : "outbound"), "status": .string(status),
                                         "origin": .string(inbound ? "cloud_api" : "api"), "phone_number": .string("+" + contact), "created_at": .string(iso)]
                }
                return .object(object)
            }
            var conversation: [String: JSONValue] = ["id": .string(conversationID), "phone_number": .string("+" + contact),
                                                     "phone_number_id": .string(phoneNumberID), "status": .string(conversationStatus)]
            if event == "whatsapp.conversation.inactive" { conversation["kapso"] = ["last_message_timestamp": .string(iso)] }
            var object: [String: JSONValue] = ["conversation": .object(conversation), "phone_number_id": .string(phoneNumberID)]
            if isMessage {
                var kapso: [String: JSONValue] = ["direction": .string(inbound ? "inbound" : "outbound"), "status": .string(status),
                                                  "origin": .string(inbound ? "cloud_api" : "api"), "has_media": false, "content": .string(text)]
                if event == "whatsapp.message.failed" {
                    kapso["statuses"] = [["status": "failed", "errors": [["code": 131026, "title": "Message undeliverable"]]]]
                }
                var message: [String: JSONValue] = ["id": .string(messageID), "timestamp": .string(unix), "type": "text",
                                                    "text": ["body": .string(text)], "kapso": .object(kapso)]
                message[inbound ? "from" : "to"] = .string(contact)
                object["message"] = .object(message)
                object["is_new_conversation"] = false
            }
            return .object(object)
        }
        switch event {
        case "whatsapp.phone_number.created", "whatsapp.phone_number.deleted":
            return ["phone_number_id": .string(phoneNumberID), "project": ["id": .string(projectID)], "customer": ["id": .string(customerID)]]
        case "whatsapp.config.created":
            return ["whatsapp_config": ["id": .string(configID), "phone_number_id": .string(phoneNumberID), "display_phone_number": "+15550000000"],
                    "project": ["id": .string(projectID)], "customer": ["id": .string(customerID)]]
        case "workflow.execution.handoff", "workflow.execution.failed":
            var object: [String: JSONValue] = [
                "event": .string(event), "occurred_at": .string(iso), "project_id": .string(projectID),
                "workflow_id": "00000000-0000-4000-8000-0000000000dd", "workflow_execution_id": "00000000-0000-4000-8000-0000000000ee",
                "channel": "whatsapp", "whatsapp_conversation_id": .string(conversationID),
            ]
            if event == "workflow.execution.handoff" {
                object["status"] = "handoff"
                object["handoff"] = ["reason": "kapsoctl verify: a sample handoff", "source": "agent_tool"]
            } else {
                object["status"] = "failed"
                object["error"] = ["message": "kapsoctl verify: a sample failure"]
            }
            return .object(object)
        default:
            // `project.event` and events the spec declares through `extra_events`: the common envelope.
            return ["event": .string(event), "occurred_at": .string(iso), "project_id": .string(projectID), "data": [:]]
        }
    }
}
