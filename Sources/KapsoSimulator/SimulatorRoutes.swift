import Foundation
import KapsoKit

/// The legacy webhook API's routes over the store's state: lists, reads, creates, updates, deletes.
extension SimulatorStore {
    func route(_ request: SimRequest) -> SimResponse {
        if request.path.hasPrefix(Self.platformPrefix + "/") { return platformRoute(request) }
        guard request.path.hasPrefix(Self.prefix + "/") else { return .error(404, "Not found") }
        let parts = request.path.dropFirst(Self.prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch (request.method, parts.count) {
        case ("GET", 1) where parts[0] == "whatsapp_configs":
            return listConfigs(request)
        case (_, 3) where parts[0] == "whatsapp_configs" && parts[2] == "whatsapp_webhooks":
            guard let configID = configKey(parts[1]) else { return .error(404, "WhatsApp config not found") }
            switch request.method {
            case "GET": return listWebhooks(configID, request)
            case "POST": return createWebhook(configID, request)
            default: return .error(404, "Not found")
            }
        case (_, 4) where parts[0] == "whatsapp_configs" && parts[2] == "whatsapp_webhooks":
            guard let configID = configKey(parts[1]), let config = configs[configID] else { return .error(404, "WhatsApp config not found") }
            let id = parts[3].lowercased()
            guard let index = config.webhooks.firstIndex(where: { $0.id == id }) else {
                return .error(404, "Webhook not found")
            }
            switch request.method {
            case "GET": return .json(200, .object(["data": config.webhooks[index].json]))
            case "PATCH", "PUT": return updateWebhook(configID, index, request)
            case "DELETE":
                configs[configID]?.webhooks.remove(at: index)
                return SimResponse(status: 204)
            default: return .error(404, "Not found")
            }
        default:
            return .error(404, "Not found")
        }
    }

    /// `page` (≥ 1, default 1) and `per_page` (default 20; above 100 is served as 100).
    private func pagination(_ request: SimRequest) -> Result<(page: Int, perPage: Int), ValidationFailure> {
        var page = 1
        var perPage = 20
        for item in request.query {
            switch item.name {
            case "page":
                guard let value = Int(item.value), value >= 1 else { return .failure(ValidationFailure("page must be a positive integer")) }
                page = value
            case "per_page":
                guard let value = Int(item.value), value >= 1 else { return .failure(ValidationFailure("per_page must be a positive integer")) }
                perPage = min(value, 100)
            default: break
            }
        }
        return .success((page, perPage))
    }

    /// A page of `items`, with `meta`; with `headers`, also the Platform API's pagination headers.
    func page(_ items: [JSONValue], _ request: SimRequest, headers: Bool = false) -> SimResponse {
        page(items, request, headers: headers) { $0 }
    }

    /// A page of `items`, only the page's items made into JSON (a list of 900 webhooks read 100 at
    /// a time builds 100 per page, not 900).
    func page<Item>(_ items: [Item], _ request: SimRequest, headers: Bool = false, json: (Item) -> JSONValue) -> SimResponse {
        page(items, request, headers: headers, bytes: { json($0).serialized() })
    }

    /// A page whose items come as their compact JSON bytes (``platformBytes(_:phoneNumberID:)``
    /// keeps them between requests). The body is what `JSONValue.object(["data": …, "meta": …])`
    /// serialises to: compact, keys in byte order ("data" before "meta").
    func page<Item>(_ items: [Item], _ request: SimRequest, headers: Bool = false, bytes: (Item) -> Data) -> SimResponse {
        switch pagination(request) {
        case .failure(let failure):
            return .error(422, failure.message)
        case .success(let (page, perPage)):
            let total = items.count
            let pages = (total + perPage - 1) / perPage
            let start = min(total, (page - 1) * perPage)
            let meta = JSONValue.object([
                "page": .int(page), "per_page": .int(perPage), "total_pages": .int(pages), "total_count": .int(total),
            ])
            var body = Data(#"{"data":["#.utf8)
            for (offset, item) in items[start..<min(total, start + perPage)].enumerated() {
                if offset > 0 { body.append(UInt8(ascii: ",")) }
                body.append(bytes(item))
            }
            body.append(contentsOf: #"],"meta":"#.utf8)
            body.append(meta.serialized())
            body.append(UInt8(ascii: "}"))
            let pageHeaders = headers
                ? ["X-Total": String(total), "X-Total-Pages": String(pages), "X-Per-Page": String(perPage), "X-Page": String(page)] : [:]
            return SimResponse(status: 200, headers: pageHeaders.merging(SimResponse.jsonContentType) { $1 }, body: body)
        }
    }

    private func listConfigs(_ request: SimRequest) -> SimResponse {
        let items = configs.sorted { $0.key < $1.key }.map { id, config in
            JSONValue.object([
                "id": .string(id),
                "name": config.name.map(JSONValue.string) ?? .null,
                "display_phone_number": config.displayPhoneNumber.map(JSONValue.string) ?? .null,
            ])
        }
        return page(items, request)
    }

    private func listWebhooks(_ configID: String, _ request: SimRequest) -> SimResponse {
        var hooks = Array(configs[configID]!.webhooks.reversed())
        for item in request.query {
            switch item.name {
            case "q[url_cont]":
                hooks = hooks.filter { $0.url.contains(item.value) }
            case "q[active_eq]":
                guard let flag = ["true": true, "false": false, "1": true, "0": false][item.value] else {
                    return .error(422, "q[active_eq] must be true or false")
                }
                hooks = hooks.filter { $0.active == flag }
            default: break
            }
        }
        return page(hooks, request) { $0.json }
    }

    /// The object inside `{"whatsapp_webhook": {...}}`, or the 4xx to answer.
    func wrappedFields(_ request: SimRequest) -> Result<[String: JSONValue], SimResponse> {
        guard let value = try? JSONValue.parse(request.body) else {
            return .failure(.error(400, "The request body is not valid JSON"))
        }
        guard case .object(let fields)? = value["whatsapp_webhook"] else {
            return .failure(.error(422, "param is missing or the value is empty: whatsapp_webhook"))
        }
        return .success(fields)
    }

    private func createWebhook(_ configID: String, _ request: SimRequest) -> SimResponse {
        switch wrappedFields(request) {
        case .failure(let response): return response
        case .success(let fields):
            let now = Self.now()
            switch WebhookRecord.create(from: fields, id: UUID().uuidString.lowercased(), now: now, serial: nextSerial(), newEvents: features.newEvents) {
            case .failure(let failure): return .error(422, failure.message)
            case .success(let record):
                configs[configID]!.webhooks.append(record)
                return .json(201, .object(["data": record.json]))
            }
        }
    }

    private func updateWebhook(_ configID: String, _ index: Int, _ request: SimRequest) -> SimResponse {
        switch wrappedFields(request) {
        case .failure(let response): return response
        case .success(let fields):
            var record = configs[configID]!.webhooks[index]
            if let failure = record.apply(fields, newEvents: features.newEvents) { return .error(422, failure.message) }
            record.updatedAt = Self.now()
            configs[configID]!.webhooks[index] = record
            return .json(200, .object(["data": record.json]))
        }
    }

    static func now() -> String {
        timestamp(Date())
    }

    static func timestamp(_ date: Date) -> String {
        ISOTime.string(date, fractional: true)
    }

    /// Seeded webhooks without `created_at` get one second apart, from 2025-01-01.
    static func seedTime(_ offset: Int) -> String {
        ISOTime.string(Date(timeIntervalSince1970: 1_735_689_600 + Double(offset)))
    }
}
