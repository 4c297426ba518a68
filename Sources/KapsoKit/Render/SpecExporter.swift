/// Writes the server's state as a spec file. Secrets are never written: `secret_key` and the values
/// of credential-like headers become `${VAR}` placeholders, listed in a comment at the top.
public enum SpecExporter {
    /// One config to export.
    public struct Config: Sendable {
        public var id: String
        public var name: String?
        /// In the server's order (most recent first).
        public var webhooks: [ServerWebhook]

        public init(id: String, name: String?, webhooks: [ServerWebhook]) {
            self.id = id
            self.name = name
            self.webhooks = webhooks
        }
    }

    /// An environment variable the exported spec reads, and what it holds.
    public struct Variable: Sendable, Equatable {
        public var name: String
        public var purpose: String
        /// The value the server returned, for callers that want to check it; never written out.
        public var serverValue: String?
    }

    public struct Export: Sendable {
        public var yaml: String
        public var variables: [Variable]
    }

    public static func export(_ configs: [Config], source: String) -> Export {
        var variables: [Variable] = []
        var taken = Set<String>()
        func variable(_ parts: [String], purpose: String, value: String?) -> String {
            let base = "KAPSO_" + parts.map(slug).filter { !$0.isEmpty }.joined(separator: "_")
            var name = String(base.prefix(80))
            var suffix = 2
            while taken.contains(name) {
                name = String(base.prefix(76)) + "_\(suffix)"
                suffix += 1
            }
            taken.insert(name)
            variables.append(Variable(name: name, purpose: purpose, serverValue: value))
            return name
        }

        var body: [String] = ["version: 1", "configs:"]
        if configs.isEmpty { body[1] = "configs: []" }
        for config in configs.sorted(by: { $0.id < $1.id }) {
            body.append("  - whatsapp_config_id: \(config.id)")
            if let name = config.name { body.append("    name: \(quoted(name))") }
            let hooks = Array(config.webhooks.reversed())
            if hooks.isEmpty {
                body.append("    webhooks: []")
                continue
            }
            body.append("    webhooks:")
            var urlCounts: [String: Int] = [:]
            for hook in hooks { urlCounts[hook.url ?? "", default: 0] += 1 }
            let label = config.name ?? String(config.id.prefix(8))
            for hook in hooks {
                let url = hook.url ?? ""
                let place = hostAndPath(url)
                body.append("      - url: \(quoted(url))")
                // Two webhooks with one URL can only be told apart by id.
                if urlCounts[url, default: 0] > 1 { body.append("        id: \(hook.id)") }
                let secretVar = variable([label, place] + (urlCounts[url, default: 0] > 1 ? [String(hook.id.prefix(8))] : []) + ["SECRET"],
                                         purpose: "secret_key of \(url) in config \(config.id)", value: hook.secretKey)
                body.append("        secret_key: \"${\(secretVar)}\"")
                if let events = hook.events, !events.isEmpty { body.append("        events: \(list(events))") }
                if let active = hook.active { body.append("        active: \(active)") }
                let headers = hook.headers ?? [:]
                if headers.isEmpty {
                    body.append("        headers: {}")
                } else {
                    body.append("        headers:")
                    for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                        if Sensitivity.isSensitiveHeaderName(name) {
                            let headerVar = variable([label, place, name], purpose: "header \(name) of \(url) in config \(config.id)", value: value)
                            body.append("          \(quoted(name)): \"${\(headerVar)}\"")
                        } else {
                            body.append("          \(quoted(name)): \(quoted(value))")
                        }
                    }
                }
                if let enabled = hook.bufferEnabled { body.append("        buffer_enabled: \(enabled)") }
                // With buffering off the other buffer settings do nothing (and the server's default
                // buffer_events may name an event the webhook does not subscribe to): left unmanaged.
                if hook.bufferEnabled == true {
                    if let window = hook.bufferWindowSeconds { body.append("        buffer_window_seconds: \(window)") }
                    if let size = hook.maxBufferSize { body.append("        max_buffer_size: \(size)") }
                    if let buffered = hook.bufferEvents, Set(buffered).isSubset(of: hook.events ?? []) {
                        body.append("        buffer_events: \(list(buffered))")
                    }
                }
                if let minutes = hook.inactivityMinutes { body.append("        inactivity_minutes: \(minutes)") }
            }
        }
        var header = ["# Exported by kapsoctl from \(source).",
                      "# Secrets are not exported: set these environment variables to their values before planning."]
        if variables.isEmpty { header = [header[0]] }
        let width = variables.map(\.name.count).max() ?? 0
        for v in variables {
            header.append("#   \(v.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(v.purpose)")
        }
        return Export(yaml: (header + body).joined(separator: "\n") + "\n", variables: variables)
    }

    /// A YAML double-quoted scalar (JSON escaping) in which a literal `${` is written `$${`.
    static func quoted(_ text: String) -> String {
        FieldDisplay.quoted(text.replacingOccurrences(of: "${", with: "$${"))
    }

    private static func list(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ", ") + "]"
    }

    /// `api.acme.com/hooks/whatsapp` for `https://api.acme.com/hooks/whatsapp?x=1`.
    private static func hostAndPath(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://") { text = String(text[scheme.upperBound...]) }
        if let query = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<query]) }
        return text
    }

    /// Upper-case letters and digits, runs of anything else as one `_`.
    static func slug(_ text: String) -> String {
        var out = ""
        var gap = false
        for scalar in text.uppercased().unicodeScalars {
            if scalar.isASCII && (("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)) {
                if gap && !out.isEmpty { out += "_" }
                out.unicodeScalars.append(scalar)
                gap = false
            } else {
                gap = true
            }
        }
        return out
    }
}
