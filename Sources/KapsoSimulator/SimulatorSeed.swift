import Foundation
import KapsoKit

/// The simulator's initial state: configs, phone numbers and project webhooks, each list oldest first.
///
/// File format (JSON, or the same structure in YAML):
/// `{"configs": {"<config-uuid>": [ {webhook attributes; id, created_at optional}, ... ]}}`; a config
/// may instead be `{"name": ..., "display_phone_number": ..., "webhooks": [...]}`. Platform API:
/// `"phone_numbers": [{"phone_number_id": "123", "internal_id": "<config-uuid>", "name": ...,
/// "webhooks": [...]}]` (a number's webhooks are its config's: `internal_id` names the legacy config,
/// made when missing), `"project": {"webhooks": [...]}` and `"features": {"project_event": true,
/// "events": ["whatsapp.message.reacted"]}` (the plan includes `project.event`; event names the
/// server accepts beyond those kapsoctl knows, in any scope). Delivery history: `"deliveries":
/// [{"webhook_id": "<uuid>", "status": "failed", "response_status": 500, "event": ..., "seconds_ago":
/// 3600, "count": 20}]` — `count` records going back one second apart from `seconds_ago` (default 60)
/// before the simulator started.
/// What the simulated server offers beyond the documented basics.
public struct ServerFeatures: Sendable, Equatable {
    /// Whether the project's plan includes `project.event` (else subscribing to it is a 402).
    public var projectEvent: Bool
    /// Event names the server accepts that kapsoctl does not know (any scope): an API that has
    /// grown since this version of kapsoctl.
    public var newEvents: [String]

    public init(projectEvent: Bool = false, newEvents: [String] = []) {
        self.projectEvent = projectEvent
        self.newEvents = newEvents
    }
}

public struct SimulatorSeed: Sendable {
    /// A Platform phone number.
    public struct PhoneNumber: Sendable {
        public var phoneNumberID: String
        /// The legacy config that holds the number's webhooks.
        public var internalID: String?
        public var name: String?
        public var displayPhoneNumber: String?
        /// Webhook objects as JSON, oldest first (Platform attributes allowed).
        public var webhooks: [JSONValue]

        public init(phoneNumberID: String, internalID: String? = nil, name: String? = nil, displayPhoneNumber: String? = nil,
                    webhooks: [JSONValue] = []) {
            self.phoneNumberID = phoneNumberID
            self.internalID = internalID
            self.name = name
            self.displayPhoneNumber = displayPhoneNumber
            self.webhooks = webhooks
        }
    }

    public struct Config: Sendable {
        public var id: String
        public var name: String?
        public var displayPhoneNumber: String?
        /// Webhook objects as JSON, oldest first.
        public var webhooks: [JSONValue]

        public init(id: String, name: String? = nil, displayPhoneNumber: String? = nil, webhooks: [JSONValue] = []) {
            // Kept as given: the simulator matches config ids exactly, as a strict server would.
            self.id = id
            self.name = name
            self.displayPhoneNumber = displayPhoneNumber
            self.webhooks = webhooks
        }
    }

    public var configs: [Config]
    public var phoneNumbers: [PhoneNumber]
    /// Project webhooks (Platform API), oldest first.
    public var projectWebhooks: [JSONValue]
    public var features: ServerFeatures
    /// Delivery history, relative to the simulator's start.
    public var deliveries: [SeedDelivery]

    public init(configs: [Config] = [], phoneNumbers: [PhoneNumber] = [], projectWebhooks: [JSONValue] = [],
                features: ServerFeatures = ServerFeatures(), deliveries: [SeedDelivery] = []) {
        self.configs = configs
        self.phoneNumbers = phoneNumbers
        self.projectWebhooks = projectWebhooks
        self.features = features
        self.deliveries = deliveries
    }

    public static let empty = SimulatorSeed()

    /// Reads a seed file (a pipe such as `<(...)` too): JSON, or YAML when the name ends in `.yaml`/`.yml`.
    public static func load(path: String) throws(SeedError) -> SimulatorSeed {
        let limit = 64 << 20
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SeedError("\(path): cannot read the seed file") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()  // nil at the end: an empty file
        } catch {
            throw SeedError("\(path): cannot read the seed file")
        }
        guard data.count <= limit else { throw SeedError("\(path): the seed file is larger than 64 MiB") }
        let value: JSONValue
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            do {
                value = try YAMLData.jsonValue(from: [UInt8](data))
            } catch {
                throw SeedError("\(path):\(error)")
            }
        } else {
            do {
                value = try JSONValue.parse(data)
            } catch {
                throw SeedError("\(path):\(error.line):\(error.column): not valid JSON (\(error.message))")
            }
        }
        return try parse(value, source: path)
    }

    /// Reads a seed from JSON text (tests).
    public static func parse(json: String) throws(SeedError) -> SimulatorSeed {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(json.utf8))
        } catch {
            throw SeedError("seed:\(error.line):\(error.column): not valid JSON (\(error.message))")
        }
        return try parse(value, source: "seed")
    }

    static func parse(_ value: JSONValue, source: String) throws(SeedError) -> SimulatorSeed {
        guard case .object(let top) = value,
              case .object(let configs)? = top["configs"] ?? (top["phone_numbers"] != nil || top["project"] != nil ? .object([:]) : nil) else {
            throw SeedError("\(source): expected {\"configs\": {\"<config-uuid>\": [webhooks...]}} and/or \"phone_numbers\": [...], \"project\": {...}")
        }
        var out: [Config] = []
        for (id, entry) in configs.sorted(by: { $0.key < $1.key }) {
            guard UUID(uuidString: id) != nil else { throw SeedError("\(source): config key '\(id)' is not a UUID") }
            switch entry {
            case .array(let webhooks):
                out.append(Config(id: id, webhooks: webhooks))
            case .object(let object):
                guard case .array(let webhooks)? = object["webhooks"] ?? .array([]) else {
                    throw SeedError("\(source): config \(id): 'webhooks' must be a list")
                }
                let name: String? = if case .string(let n)? = object["name"] { n } else { nil }
                let phone: String? = if case .string(let p)? = object["display_phone_number"] { p } else { nil }
                out.append(Config(id: id, name: name, displayPhoneNumber: phone, webhooks: webhooks))
            default:
                throw SeedError("\(source): config \(id) must be a list of webhooks or an object with 'webhooks'")
            }
        }
        var numbers: [PhoneNumber] = []
        if let entry = top["phone_numbers"] {
            guard case .array(let items) = entry else { throw SeedError("\(source): 'phone_numbers' must be a list") }
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item, let id = object["phone_number_id"].flatMap(Self.digits) else {
                    throw SeedError("\(source): phone number #\(index + 1): needs a 'phone_number_id' of digits")
                }
                guard case .array(let webhooks)? = object["webhooks"] ?? .array([]) else {
                    throw SeedError("\(source): phone number \(id): 'webhooks' must be a list")
                }
                let internalID: String? = if case .string(let i)? = object["internal_id"] { i } else { nil }
                if let internalID, UUID(uuidString: internalID) == nil {
                    throw SeedError("\(source): phone number \(id): internal_id '\(internalID)' is not a UUID")
                }
                let name: String? = if case .string(let n)? = object["name"] { n } else { nil }
                let phone: String? = if case .string(let p)? = object["display_phone_number"] { p } else { nil }
                numbers.append(PhoneNumber(phoneNumberID: id, internalID: internalID, name: name, displayPhoneNumber: phone, webhooks: webhooks))
            }
        }
        var project: [JSONValue] = []
        if let entry = top["project"] {
            guard case .object(let object) = entry, case .array(let webhooks)? = object["webhooks"] ?? .array([]) else {
                throw SeedError("\(source): 'project' must be {\"webhooks\": [...]}")
            }
            project = webhooks
        }
        var features = ServerFeatures()
        if case .object(let object)? = top["features"] {
            features.projectEvent = object["project_event"] == .bool(true)
            if let events = object["events"] {
                guard case .array(let items) = events else { throw SeedError("\(source): 'features.events' must be a list of event names") }
                features.newEvents = try items.map { item throws(SeedError) in
                    guard case .string(let name) = item, EventNames.isWellFormed(name) else {
                        throw SeedError("\(source): 'features.events' must be a list of well-formed event names")
                    }
                    return name
                }
            }
        }
        var deliveries: [SeedDelivery] = []
        if let entry = top["deliveries"] {
            guard case .array(let items) = entry else { throw SeedError("\(source): 'deliveries' must be a list") }
            for (index, item) in items.enumerated() {
                deliveries.append(try SeedDelivery.parse(item, "\(source): delivery #\(index + 1)"))
            }
        }
        return SimulatorSeed(configs: out, phoneNumbers: numbers, projectWebhooks: project, features: features, deliveries: deliveries)
    }

    private static func digits(_ value: JSONValue) -> String? {
        guard let text = value.digits, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return text
    }
}

/// A seed that cannot be used, with the file and what is wrong.
public struct SeedError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
