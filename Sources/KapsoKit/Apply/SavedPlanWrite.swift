import Foundation

extension SavedPlan {
    /// One planned write as the file holds it: the executor's ``PlannedWrite`` with its body
    /// protected (each secret a `{"$secret": {"template", "fingerprint"}}` object). Decoding checks
    /// what a damaged file could break: the action, and the id and body it needs.
    public struct Write: Sendable, Codable {
        /// ``PlannedWrite/Request`` with a protected body.
        typealias Request = WriteRequest<JSONValue>

        /// Where the request goes (for a replace, where the new webhook is created).
        public var scope: WebhookScope
        /// As outputs show it.
        public var url: String
        /// The attribute names the request sets.
        public var fields: [String]
        var request: Request

        public var action: ChangeAction { request.action }
        /// The server webhook changed or deleted (for a replace, the one deleted).
        public var webhookID: String? { request.webhookID }
        var body: JSONValue? { request.body }

        var fromScope: WebhookScope? {
            if case .replace(_, let from, _) = request { return from }
            return nil
        }

        init(scope: WebhookScope, url: String, fields: [String], request: Request) {
            self.scope = scope
            self.url = url
            self.fields = fields
            self.request = request
        }

        enum CodingKeys: String, CodingKey {
            case action, scope, url, fields, body
            case webhookID = "webhook_id"
            case fromScope = "from_scope"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            scope = try c.decode(WebhookScope.self, forKey: .scope)
            url = try c.decode(String.self, forKey: .url)
            fields = try c.decode([String].self, forKey: .fields)
            let action = try c.decode(ChangeAction.self, forKey: .action)
            func id() throws -> String {
                guard let id = try c.decodeIfPresent(String.self, forKey: .webhookID) else {
                    throw DecodingError.dataCorruptedError(forKey: .webhookID, in: c, debugDescription: "a change entry has no webhook_id")
                }
                return id
            }
            func body() throws -> JSONValue {
                guard let body = try c.decodeIfPresent(JSONValue.self, forKey: .body), body != .null else {
                    throw DecodingError.dataCorruptedError(forKey: .body, in: c, debugDescription: "a change entry has no body")
                }
                return body
            }
            switch action {
            case .create: request = .create(try body())
            case .update: request = .update(webhookID: try id(), try body())
            case .delete: request = .delete(webhookID: try id())
            case .replace: request = .replace(deleting: try id(), in: try c.decode(WebhookScope.self, forKey: .fromScope), try body())
            case .unchanged, .unmanaged, .ignored:
                throw DecodingError.dataCorruptedError(forKey: .action, in: c, debugDescription: "a change entry is damaged")
            }
        }

        /// Encodes `webhook_id` and `body` as `null` when absent, as format 1 did.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(action, forKey: .action)
            try c.encode(scope, forKey: .scope)
            try c.encode(webhookID, forKey: .webhookID)
            try c.encodeIfPresent(fromScope, forKey: .fromScope)
            try c.encode(url, forKey: .url)
            try c.encode(fields, forKey: .fields)
            try c.encode(body ?? .null, forKey: .body)
        }

        /// The executor's write, the body's secrets resolved by `resolve`.
        func planned(_ resolve: (JSONValue) -> WebhookAttributes) -> PlannedWrite {
            PlannedWrite(scope: scope, displayURL: url, request: request.map(resolve))
        }
    }
}
