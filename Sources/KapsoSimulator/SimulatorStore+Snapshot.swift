import KapsoKit

extension SimulatorStore {
    /// The current state in the seed format, which a simulator can be seeded with again to the same
    /// state (`GET /__sim/state`): each list oldest first; a config's name and number kept; a
    /// number's webhooks once, in the Platform API's view under the number (its config, which the
    /// legacy API reads them through, is listed without them); the features the server has.
    public func snapshot() -> JSONValue {
        var out: [String: JSONValue] = [:]
        let backed = Set(numbers.map(\.configKey))
        for (id, config) in configs {
            if backed.contains(id) && config.name == nil && config.displayPhoneNumber == nil { continue }
            let webhooks = JSONValue.array(backed.contains(id) ? [] : config.webhooks.map(\.json))
            out[id] = config.name == nil && config.displayPhoneNumber == nil ? webhooks
                : .object(["name": Self.optional(config.name), "display_phone_number": Self.optional(config.displayPhoneNumber), "webhooks": webhooks])
        }
        var state: [String: JSONValue] = ["configs": .object(out)]
        if !numbers.isEmpty {
            state["phone_numbers"] = .array(numbers.map { number in
                .object(["phone_number_id": .string(number.phoneNumberID), "internal_id": .string(number.configKey),
                         "name": Self.optional(number.name), "display_phone_number": Self.optional(number.displayPhoneNumber),
                         "webhooks": .array((configs[number.configKey]?.webhooks ?? []).map { $0.platformJSON(phoneNumberID: number.phoneNumberID) })])
            })
        }
        if !projectHooks.isEmpty {
            state["project"] = .object(["webhooks": .array(projectHooks.map { $0.platformJSON(phoneNumberID: nil) })])
        }
        if features != ServerFeatures() {
            state["features"] = .object(["project_event": .bool(features.projectEvent), "events": .array(features.newEvents.map(JSONValue.string))])
        }
        return .object(state)
    }

    private static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
}
