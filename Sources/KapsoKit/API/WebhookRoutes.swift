import Foundation

/// The webhook routes of both generations, by scope:
///
/// | scope | list, create | one webhook |
/// |---|---|---|
/// | config (legacy) | `/whatsapp_configs/{id}/whatsapp_webhooks` | `…/{webhook}` |
/// | phone number (Platform) | `/whatsapp/phone_numbers/{pid}/webhooks` | `…/{webhook}` |
/// | project (Platform) | `/whatsapp/webhooks` | `/whatsapp/webhooks/{webhook}` |
///
/// The Platform project list returns every webhook of the project, number-scoped ones included.
extension KapsoClient {
    /// The collection route of a scope.
    static func collection(_ scope: WebhookScope) -> String {
        switch scope {
        case .config(let id): "/whatsapp_configs/\(segment(id))/whatsapp_webhooks"
        case .phoneNumber(let id): "/whatsapp/phone_numbers/\(segment(id))/webhooks"
        case .project: "/whatsapp/webhooks"
        }
    }

    /// The route of one webhook. The id (the server's, or a spec's pin) must have the documented
    /// shape, a UUID, before it goes into a path: an id of `..`, `.` or nothing would make the
    /// request reach another route (libcurl removes dot segments), such as the config's own.
    static func member(_ method: String, _ scope: WebhookScope, _ id: String) throws(APIError) -> String {
        guard isWebhookID(id) else {
            throw APIError(method: method, path: collection(scope) + "/…", reason: .refused("the webhook id \(HumanText.escape(String(id.prefix(40))).debugDescription) is not a UUID, the shape the API documents for webhook ids"))
        }
        return collection(scope) + "/" + segment(id)
    }

    static func isWebhookID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 36 else { return false }
        for (i, b) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(i) { if b != UInt8(ascii: "-") { return false } } else if !(b >= 48 && b <= 57) && !(b | 0x20 >= 97 && b | 0x20 <= 102) { return false }
        }
        return true
    }

    /// A path segment: every byte but letters, digits, `-`, `_` and `~` percent-encoded (a `.` too,
    /// so no segment is ever a dot segment).
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~")) ?? ""
    }

    /// Every webhook of a scope, in the server's order (most recent first), following every page.
    /// For the project, only webhooks bound to no number.
    public func listWebhooks(in scope: WebhookScope) async throws(APIError) -> [ServerWebhook] {
        let hooks: [ServerWebhook] = try await listAll(path: Self.collection(scope))
        return scope == .project ? hooks.filter { $0.phoneNumberID == nil } : hooks
    }

    /// The webhooks of a scope whose URL contains `text` (every page): a targeted fresh read, with
    /// documented filters only — the legacy list's `q[url_cont]`, the phone number list's
    /// `url_contains`. The project list documents no URL filter: it is read whole (paged) and
    /// filtered here. The filter is not shown in logs or errors (a URL may hold a secret).
    public func listWebhooks(in scope: WebhookScope, urlContaining text: String) async throws(APIError) -> [ServerWebhook] {
        switch scope {
        case .config, .phoneNumber:
            let filter = ListFilter(name: scope.api == .legacy ? "q[url_cont]" : "url_contains", value: text)
            return try await listAll(path: Self.collection(scope), filter: filter)
        case .project:
            return try await listWebhooks(in: .project).filter { ($0.url ?? "").contains(text) }
        }
    }

    /// Every webhook of the Platform project, of every scope (`GET /whatsapp/webhooks`, every page):
    /// one paged read for a whole plan.
    public func listProjectWebhooks() async throws(APIError) -> [ServerWebhook] {
        try await listAll(path: Self.collection(.project))
    }

    /// One webhook.
    public func getWebhook(in scope: WebhookScope, id: String) async throws(APIError) -> ServerWebhook {
        let path = try Self.member("GET", scope, id)
        return try decode(DataEnvelope<ServerWebhook>.self, try await perform("GET", path), "GET", path).data
    }

    /// Creates a webhook with exactly the attributes given (POST, 201).
    /// A POST is never repeated after a connection failure or 5xx: the error says the outcome is unknown.
    public func createWebhook(in scope: WebhookScope, attributes: WebhookAttributes) async throws(APIError) -> ServerWebhook {
        let path = Self.collection(scope)
        let response = try await perform("POST", path, body: WebhookBody(whatsappWebhook: attributes), secrets: Self.secrets(of: attributes))
        return try decode(DataEnvelope<ServerWebhook>.self, response, "POST", path).data
    }

    /// Changes exactly the attributes given (PATCH): the stored webhook (200), or nil when the
    /// server answers `204 No Content` (or 200 with no body), as the contract allows.
    public func updateWebhook(in scope: WebhookScope, id: String, attributes: WebhookAttributes) async throws(APIError) -> ServerWebhook? {
        let path = try Self.member("PATCH", scope, id)
        let response = try await perform("PATCH", path, body: WebhookBody(whatsappWebhook: attributes), secrets: Self.secrets(of: attributes))
        if response.status == 204 || response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        return try decode(DataEnvelope<ServerWebhook>.self, response, "PATCH", path).data
    }

    /// Deletes a webhook (DELETE, 204).
    public func deleteWebhook(in scope: WebhookScope, id: String) async throws(APIError) {
        _ = try await perform("DELETE", try Self.member("DELETE", scope, id))
    }

    /// Asks Kapso to send the webhook a test delivery (Platform API,
    /// `POST /whatsapp/webhooks/{id}/test`, optionally for one of its events). Kapso answers when the
    /// delivery is queued, not when the receiver has answered. Not retried after a connection failure
    /// or 5xx (it is a POST), so it never queues two.
    public func testWebhook(id: String, event: String?) async throws(APIError) {
        let path = try Self.member("POST", .project, id) + "/test"
        let body: JSONValue = event.map { ["event_type": .string($0)] } ?? [:]
        _ = try await perform("POST", path, body: body)
    }

    /// Every WhatsApp config of the project (legacy API).
    public func listConfigs() async throws(APIError) -> [WhatsAppConfig] {
        try await listAll(path: "/whatsapp_configs")
    }

    /// Every phone number of the project (Platform API).
    public func listPhoneNumbers() async throws(APIError) -> [PhoneNumber] {
        try await listAll(path: "/whatsapp/phone_numbers")
    }

    /// Values that must not appear in an error even if the server echoes them.
    private static func secrets(of attributes: WebhookAttributes) -> [String] {
        [attributes.secretKey].compactMap { $0 } + (attributes.headers.map { Array($0.values) } ?? [])
    }
}
