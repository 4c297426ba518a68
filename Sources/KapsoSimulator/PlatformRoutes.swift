import Foundation
import KapsoKit

/// The Platform API's routes (`/platform/v1`) over the same store as the legacy API: a phone
/// number's webhooks are its config's.
///
/// | request | answer |
/// |---|---|
/// | `GET /whatsapp/phone_numbers` | the numbers (`id` is Meta's id), filtered by `phone_number_id`, `name_contains` |
/// | `GET /whatsapp/phone_numbers/{pid}` | one number, or 404 |
/// | `GET, POST /whatsapp/phone_numbers/{pid}/webhooks` | the number's webhooks; a create on the number |
/// | `GET, PATCH, DELETE /whatsapp/phone_numbers/{pid}/webhooks/{id}` | one of the number's webhooks |
/// | `GET, POST /whatsapp/webhooks` | every webhook of the project, number-scoped ones included; a create (on the project, or on a number named by `phone_number_id` in the body) |
/// | `GET, PATCH, DELETE /whatsapp/webhooks/{id}` | any webhook |
/// | `POST /whatsapp/webhooks/{id}/test` | 200 `{"data": {"success": true}}`, then the signed test delivery to the webhook's URL when it is on loopback (``DeliveryRecord``), recorded in the history |
/// | `GET /webhook_deliveries` | the delivery history, newest first, cursor-paged and filtered (``deliveriesRoute(_:)``) |
///
/// Lists are newest first and carry `meta` and the `X-Total`, `X-Total-Pages`, `X-Per-Page`,
/// `X-Page` headers.
extension SimulatorStore {
    /// Where a stored webhook is.
    enum Place {
        case number(Number, index: Int)
        case project(index: Int)

        var scope: WebhookScope {
            switch self {
            case .number(let number, _): .phoneNumber(number.phoneNumberID)
            case .project: .project
            }
        }
    }

    func platformRoute(_ request: SimRequest) -> SimResponse {
        let parts = request.path.dropFirst(Self.platformPrefix.count + 1).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts == ["webhook_deliveries"] { return deliveriesRoute(request) }
        guard parts.first == "whatsapp", parts.count >= 2 else { return .error(404, "Not found") }
        switch (request.method, Array(parts.dropFirst())) {
        case ("GET", ["phone_numbers"]):
            // The documented filters: `phone_number_id` (exact) and `name_contains`.
            var listed = Array(numbers.enumerated())
            for item in request.query {
                switch item.name {
                case "phone_number_id": listed = listed.filter { $0.element.phoneNumberID == item.value }
                case "name_contains": listed = listed.filter { $0.element.name?.localizedCaseInsensitiveContains(item.value) == true }
                default: break
                }
            }
            return page(listed, request, headers: true) { Self.numberJSON($0.element, index: $0.offset) }
        case ("GET", let rest) where rest.count == 2 && rest[0] == "phone_numbers":
            guard let index = numbers.firstIndex(where: { $0.phoneNumberID == rest[1] }) else { return .error(404, "Phone number not found") }
            return .json(200, .object(["data": Self.numberJSON(numbers[index], index: index)]))
        case (let method, let rest) where rest.count >= 3 && rest[0] == "phone_numbers" && rest[2] == "webhooks":
            guard let number = numbers.first(where: { $0.phoneNumberID == rest[1] }) else { return .error(404, "Phone number not found") }
            if rest.count == 3 {
                switch method {
                case "GET": return listPlatform(scope: .phoneNumber(number.phoneNumberID), request)
                case "POST": return createPlatform(request, scope: .phoneNumber(number.phoneNumberID))
                default: return .error(404, "Not found")
                }
            }
            guard rest.count == 4, let place = find(rest[3].lowercased()), case .number(let owner, _) = place,
                  owner.phoneNumberID == number.phoneNumberID else { return .error(404, "Webhook not found") }
            return member(method, place, request)
        case ("GET", ["webhooks"]):
            return listPlatform(scope: nil, request)
        case ("POST", ["webhooks"]):
            guard case .success(let fields) = wrappedFields(request) else { return createPlatform(request, scope: .project) }
            if let pid = fields["phone_number_id"], pid != .null {
                guard let id = pid.digits, numbers.contains(where: { $0.phoneNumberID == id }) else {
                    return .error(404, "Phone number not found")
                }
                return createPlatform(request, scope: .phoneNumber(id))
            }
            return createPlatform(request, scope: .project)
        case (let method, let rest) where rest.count == 2 && rest[0] == "webhooks":
            guard let place = find(rest[1].lowercased()) else { return .error(404, "Webhook not found") }
            return member(method, place, request)
        case ("POST", let rest) where rest.count == 3 && rest[0] == "webhooks" && rest[2] == "test":
            guard let place = find(rest[1].lowercased()) else { return .error(404, "Webhook not found") }
            return testRoute(place, request)
        default:
            return .error(404, "Not found")
        }
    }

    /// GET, PATCH or DELETE of one webhook.
    private func member(_ method: String, _ place: Place, _ request: SimRequest) -> SimResponse {
        let record = self.record(at: place)
        switch method {
        case "GET":
            return .json(200, .object(["data": record.platformJSON(phoneNumberID: place.scope.id)]))
        case "PATCH", "PUT":
            switch wrappedFields(request) {
            case .failure(let response): return response
            case .success(let fields):
                switch platformRecord(fields, id: record.id, now: Self.now(), scope: place.scope, replacing: record) {
                case .failure(let response): return response
                case .success(var updated):
                    updated.updatedAt = Self.now()
                    store(updated, at: place)
                    return .json(200, .object(["data": updated.platformJSON(phoneNumberID: place.scope.id)]))
                }
            }
        case "DELETE":
            switch place {
            case .number(let number, let index): configs[number.configKey]!.webhooks.remove(at: index)
            case .project(let index): projectHooks.remove(at: index)
            }
            return SimResponse(status: 204)
        default:
            return .error(404, "Not found")
        }
    }

    private func createPlatform(_ request: SimRequest, scope: WebhookScope) -> SimResponse {
        switch wrappedFields(request) {
        case .failure(let response): return response
        case .success(let fields):
            switch platformRecord(fields, id: UUID().uuidString.lowercased(), now: Self.now(), scope: scope, replacing: nil) {
            case .failure(let response): return response
            case .success(let record):
                switch scope {
                case .phoneNumber(let id):
                    let number = numbers.first { $0.phoneNumberID == id }!
                    configs[number.configKey]!.webhooks.append(record)
                default:
                    projectHooks.append(record)
                }
                return .json(201, .object(["data": record.platformJSON(phoneNumberID: scope.id)]))
            }
        }
    }

    /// Every webhook of a number, or of the whole project (`scope` nil), newest first, filtered by
    /// `url_contains`, `kind`, `active` and `phone_number_id`.
    private func listPlatform(scope: WebhookScope?, _ request: SimRequest) -> SimResponse {
        // Where each webhook is (its number's position in `numbers`, nil for the project) rather
        // than copies: sorting 900 copies moved every field of each one around, for every page.
        var hooks: [(serial: Int, number: Int?, index: Int)] = []
        for (n, number) in numbers.enumerated() where scope == nil || scope == .phoneNumber(number.phoneNumberID) {
            let listed = configs[number.configKey]?.webhooks ?? []
            for index in listed.indices { hooks.append((listed[index].serial, n, index)) }
        }
        if scope == nil { hooks += projectHooks.indices.map { (projectHooks[$0].serial, nil, $0) } }
        hooks.sort { $0.serial > $1.serial }
        func record(_ hook: (serial: Int, number: Int?, index: Int)) -> WebhookRecord {
            self.record(at: hook.number.map { .number(numbers[$0], index: hook.index) } ?? .project(index: hook.index))
        }
        // Copies kept for deleted webhooks are dropped now and then: at most twice as many as
        // there are webhooks (counted once per list, not per webhook).
        if platformBytesKept.count >= 2 * (configs.values.reduce(projectHooks.count) { $0 + $1.webhooks.count }) + 64 {
            platformBytesKept.removeAll(keepingCapacity: true)
        }
        for item in request.query {
            switch item.name {
            case "url_contains": hooks = hooks.filter { record($0).url.contains(item.value) }
            case "kind": hooks = hooks.filter { record($0).kind == item.value }
            case "phone_number_id": hooks = hooks.filter { $0.number.map { numbers[$0].phoneNumberID } == item.value }
            case "active":
                guard let flag = ["true": true, "false": false][item.value] else { return .error(422, "active must be true or false") }
                hooks = hooks.filter { record($0).active == flag }
            case "created_after", "created_before":
                guard let bound = ISOTime.seconds(item.value) else { return .error(422, "\(item.name) must be a date-time") }
                let after = item.name == "created_after"
                hooks = hooks.filter { hook in
                    guard let created = ISOTime.seconds(record(hook).createdAt) else { return false }
                    return after ? created > bound : created < bound
                }
            default: break
            }
        }
        return page(hooks, request, headers: true) { platformBytes(record($0), phoneNumberID: $0.number.map { numbers[$0].phoneNumberID }) }
    }

    /// A webhook's Platform JSON, compact, kept while the webhook is unchanged: a project read
    /// page by page asks for the same records again, and building each one's JSON was most of a
    /// page's time. A kept copy is used only when its record (every field) and number are the
    /// ones asked for, so a change by any route (same second or not) is never served stale.
    func platformBytes(_ record: WebhookRecord, phoneNumberID: String?) -> Data {
        if let kept = platformBytesKept[record.id], kept.phoneNumberID == phoneNumberID, kept.record == record { return kept.bytes }
        let bytes = record.platformJSON(phoneNumberID: phoneNumberID).serialized()
        platformBytesKept[record.id] = (record, phoneNumberID, bytes)
        return bytes
    }

    /// A phone number as the OpenAPI schema has it: `id` is Meta's phone number id, `internal_id`
    /// Kapso's; numbers are dated one second apart from 2025-01-01, in seed order.
    static func numberJSON(_ number: Number, index: Int) -> JSONValue {
        let time = JSONValue.string(seedTime(index))
        return .object(["id": .string(number.phoneNumberID), "phone_number_id": .string(number.phoneNumberID), "internal_id": .string(number.configKey),
                        "name": number.name.map(JSONValue.string) ?? .null,
                        "display_phone_number": number.displayPhoneNumber.map(JSONValue.string) ?? .null,
                        "created_at": time, "updated_at": time])
    }

    /// The place of the webhook with this id, in any scope the Platform API sees.
    func find(_ id: String) -> Place? {
        for number in numbers {
            if let index = configs[number.configKey]?.webhooks.firstIndex(where: { $0.id == id }) { return .number(number, index: index) }
        }
        return projectHooks.firstIndex { $0.id == id }.map { .project(index: $0) }
    }

    func record(at place: Place) -> WebhookRecord {
        switch place {
        case .number(let number, let index): configs[number.configKey]!.webhooks[index]
        case .project(let index): projectHooks[index]
        }
    }

    private func store(_ record: WebhookRecord, at place: Place) {
        switch place {
        case .number(let number, let index): configs[number.configKey]!.webhooks[index] = record
        case .project(let index): projectHooks[index] = record
        }
    }
}

/// The Platform API's rules on a webhook, shared by requests and seeds.
enum Rules {
    /// A secret as Kapso generates one for a create without `secret_key`: 32 random bytes in hex.
    static func generatedSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// A webhook built from a create body (or changed by a PATCH of `existing`) under the Platform
    /// API's rules: what a create needs, immutable `kind` and number, events by scope, what a
    /// `meta` webhook cannot have, one `meta` per number, `project.event` only on a plan that has it.
    static func platformRecord(_ fields: [String: JSONValue], id: String, now: String, scope: WebhookScope,
                               replacing existing: WebhookRecord?, serial: Int, numbers: [SimulatorStore.Number],
                               configs: [String: SimulatorStore.Config], features: ServerFeatures) -> Result<WebhookRecord, SimResponse> {
        var record: WebhookRecord
        // A meta webhook's events are normalised to [] (the OpenAPI): whatever a body says of them.
        var fields = fields
        let kind: String? = if case .string(let given)? = fields["kind"] { given } else { existing?.kind }
        let meta = kind == "meta"
        if meta { fields["events"] = nil }
        if var existing {
            if let kind = fields["kind"], kind != .string(existing.kind) { return .failure(.error(422, "kind cannot be changed")) }
            if let pid = fields["phone_number_id"], pid.digits != scope.id {
                return .failure(.error(422, "phone_number_id cannot be changed"))
            }
            if let failure = existing.apply(fields, api: .platform, newEvents: features.newEvents) { return .failure(.error(422, failure.message)) }
            record = existing
        } else {
            let required: [Attribute] = scope == .project || meta ? [.url] : [.url, .events]
            switch WebhookRecord.create(from: fields, id: id, now: now, serial: serial, api: .platform, required: required, newEvents: features.newEvents) {
            case .failure(let failure): return .failure(.error(422, failure.message))
            case .success(let created): record = created
            }
            // Kapso generates a secret a create leaves out, and returns it on reads.
            if record.values[Attribute.secretKey.name]?.string == nil {
                record.values[Attribute.secretKey.name] = .string(Self.generatedSecret())
            }
            if case .project = scope, fields["events"] == nil { record.values[Attribute.events.name] = .list([]) }
        }
        if record.kind == "meta" {
            if scope == .project { return .failure(.error(422, "kind meta is only for a phone number's webhooks")) }
            if record.values[Attribute.bufferEnabled.name] == .bool(true) { return .failure(.error(422, "a meta webhook cannot buffer")) }
            if let version = fields["payload_version"], version != .null { return .failure(.error(422, "payload_version is not for meta webhooks")) }
            record.values[Attribute.events.name] = .list([])
            if case .phoneNumber(let pid) = scope, let number = numbers.first(where: { $0.phoneNumberID == pid }),
               configs[number.configKey]?.webhooks.contains(where: { $0.kind == "meta" && $0.id != record.id }) == true {
                return .failure(.error(422, "this phone number already has a meta webhook"))
            }
        }
        let allowed = scope == .project ? EventNames.projectScope : EventNames.configScope
        if let other = record.events.first(where: { !allowed.contains($0) && !features.newEvents.contains($0) }) {
            let why = scope == .project ? "which is for phone-number webhooks" : "which is for project webhooks"
            return .failure(.error(422, "events contains \(other), \(why)"))
        }
        if record.values[Attribute.payloadVersion.name]?.string == "v1", let v2 = record.events.first(where: EventNames.payloadV2Only.contains) {
            return .failure(.error(422, "\(v2) requires payload_version v2"))
        }
        if record.events.contains("project.event") && !features.projectEvent {
            return .failure(.error(402, "project.event requires a paid plan"))
        }
        return .success(record)
    }
}
