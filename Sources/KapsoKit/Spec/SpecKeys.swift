/// The keys of each mapping of a spec file, and why a key of the other generation is refused.
enum SpecKeys {
    static let top = ByteTable(["version", "api", "extra_events", "defaults", "configs", "phone_numbers", "project"])
    static let config = ByteTable(["whatsapp_config_id", "name", "prune", "webhooks", "ignore"])
    static let phoneNumber = ByteTable(["phone_number_id", "name", "prune", "webhooks", "ignore"])
    static let project = ByteTable(["prune", "webhooks", "ignore"])

    /// The top-level keys a generation takes (for messages).
    static func topLevel(for api: APIGeneration) -> [String] {
        top.names.filter { wrongGeneration($0, for: api) == nil }
    }

    /// Why a top-level key belongs to the other generation, or nil.
    static func wrongGeneration(_ key: String, for api: APIGeneration) -> String? {
        switch (api, key) {
        case (.legacy, "phone_numbers"), (.legacy, "project"):
            "'\(key)' belongs to 'api: platform'; add 'api: platform' to manage the Platform API's webhooks"
        case (.platform, "configs"):
            "'configs' belongs to the legacy API; with 'api: platform' webhooks are declared under 'phone_numbers' and 'project'"
        default: nil
        }
    }

    /// Keys met in one mapping, by their index in its table.
    struct Seen {
        private var bits: UInt32 = 0

        mutating func insert(_ index: Int) { bits |= 1 << index }

        func contains(_ index: Int) -> Bool { bits & (1 << index) != 0 }

        /// `name` (a key of `table`) was met.
        func contains(_ name: String, of table: ByteTable) -> Bool { table.names.firstIndex(of: name).map(contains) ?? false }
    }

    /// The keys of a webhook (or of `defaults`) under a generation: `id` (row -1) and the table's
    /// attributes, and why others are refused. Built once per generation (every webhook asks).
    struct WebhookKeys {
        let names: ByteTable
        /// By index in `names`: the attribute's ordinal, or -1 for `id`.
        let ordinals: [Int]
        let unsupported: [String: String]

        init(_ api: APIGeneration, defaults: Bool) {
            let attributes = Attribute.table(for: api).filter { !defaults || $0.allowedInDefaults }
            names = ByteTable((defaults ? [] : ["id"]) + attributes.map(\.name))
            ordinals = (defaults ? [] : [-1]) + attributes.map(\.ordinal)
            var unsupported: [String: String] = switch api {
            case .legacy:
                Dictionary(uniqueKeysWithValues: ["kind", "payload_version", "phone_number_id", "project_id"].map {
                    ($0, "'\($0)' is a Platform API attribute; it is not available with 'api: legacy'")
                })
            case .platform: [
                "phone_number_id": "'phone_number_id' is not set on a webhook: declare the webhook under its number in 'phone_numbers'",
                "project_id": "'project_id' is not set on a webhook: project webhooks are declared under 'project'",
            ]
            }
            if defaults {
                unsupported["url"] = "'url' cannot be a default; every webhook names its own"
                unsupported["id"] = "'id' cannot be a default; it pins one webhook"
            }
            self.unsupported = unsupported
        }

        static let legacy = WebhookKeys(.legacy, defaults: false)
        static let platform = WebhookKeys(.platform, defaults: false)
        static let legacyDefaults = WebhookKeys(.legacy, defaults: true)
        static let platformDefaults = WebhookKeys(.platform, defaults: true)

        static func of(_ api: APIGeneration, defaults: Bool) -> WebhookKeys {
            switch (api, defaults) {
            case (.legacy, false): legacy
            case (.platform, false): platform
            case (.legacy, true): legacyDefaults
            case (.platform, true): platformDefaults
            }
        }
    }
}
