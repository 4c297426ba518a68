import Foundation
import KapsoKit

/// The simulator's initial state: configs and their webhooks, each config's listed oldest first.
///
/// File format (JSON, or the same structure in YAML):
/// `{"configs": {"<config-uuid>": [ {webhook attributes; id, created_at optional}, ... ]}}`; a config
/// may instead be `{"name": ..., "display_phone_number": ..., "webhooks": [...]}`.
public struct SimulatorSeed: Sendable {
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

    public init(configs: [Config] = []) {
        self.configs = configs
    }

    public static let empty = SimulatorSeed()

    /// Reads a seed file (a pipe such as `<(...)` too): JSON, or YAML when the name ends in `.yaml`/`.yml`.
    public static func load(path: String) throws(SeedError) -> SimulatorSeed {
        let limit = 64 << 20
        guard let handle = FileHandle(forReadingAtPath: path), let read = try? handle.read(upToCount: limit + 1) else {
            throw SeedError("\(path): cannot read the seed file")
        }
        try? handle.close()
        let data = read ?? Data()
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
                throw SeedError("\(path): not valid JSON (\(Self.describe(error)))")
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
            throw SeedError("seed: not valid JSON (\(Self.describe(error)))")
        }
        return try parse(value, source: "seed")
    }

    static func parse(_ value: JSONValue, source: String) throws(SeedError) -> SimulatorSeed {
        guard case .object(let top) = value, case .object(let configs)? = top["configs"] else {
            throw SeedError("\(source): expected {\"configs\": {\"<config-uuid>\": [webhooks...]}}")
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
        return SimulatorSeed(configs: out)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// A seed that cannot be used, with the file and what is wrong.
public struct SeedError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
