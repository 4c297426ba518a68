import Foundation

/// One declared webhook `verify` looks at: the event to send, or why nothing can be sent.
public struct VerifyItem: Sendable {
    public var config: DesiredConfig
    public var webhook: DesiredWebhook
    public var event: String?
    /// Why this webhook cannot be verified from here, in words; nil when it can.
    public var cannot: String?
    /// A Platform webhook whose spec leaves `secret_key` out, not yet given the secret Kapso
    /// generated (``ServerSecrets`` reads it from the server): `cannot` says so until then.
    public var needsServerSecret: Bool { cannot == ServerSecrets.unread }
    /// That secret, once read (never printed).
    public var serverSecret: String?

    /// What to send, when something can be.
    public var target: VerifyTarget? {
        guard cannot == nil, let event, let secret = webhook.attributes.secretKey ?? serverSecret else { return nil }
        return VerifyTarget(scope: config.scope, displayURL: webhook.displayURL, url: webhook.url, event: event,
                            payloadVersion: SampleDelivery.payloadVersion(of: webhook.attributes),
                            secretKey: secret, headers: webhook.attributes.headers ?? [:])
    }
}

/// The webhooks `--url` and `--event` select from a spec (configs already selected).
public enum VerifySelection {
    /// Every selected webhook with the event to send (`event`, or each one's first) or why none can
    /// be; `viaKapso`: Kapso sends, so only the selection applies. Throws when `urls` names a URL
    /// the spec does not declare, or nothing is selected.
    public static func select(_ state: DesiredState, urls: [String], event: String?, viaKapso: Bool,
                              files: [String]) throws(VerifySelectionError) -> [VerifyItem] {
        var unmatched = Set(urls)
        var selected: [VerifyItem] = []
        var leftOut = 0
        for config in state.configs {
            for webhook in config.webhooks {
                if !urls.isEmpty {
                    let matches = urls.filter { url in
                        url == webhook.secretTemplates.url || URLIdentity.normalized(url) == URLIdentity.normalized(webhook.url)
                    }
                    guard !matches.isEmpty else { continue }
                    unmatched.subtract(matches)
                }
                let events = webhook.attributes.events ?? []
                var item = VerifyItem(config: config, webhook: webhook)
                if let event {
                    guard events.contains(event) else {
                        leftOut += 1
                        continue
                    }
                    item.event = event
                } else {
                    item.event = events.first
                }
                if !viaKapso { item.cannot = cannotSend(item) }
                selected.append(item)
            }
        }
        guard unmatched.isEmpty else {
            throw VerifySelectionError(lines: unmatched.sorted().map {
                "error: --url \(URLDisplay.masked($0)) is not declared in the selected configs of \(files.joined(separator: ", "))"
            })
        }
        guard !selected.isEmpty else {
            if let event, leftOut > 0 { throw VerifySelectionError(lines: ["error: no selected webhook subscribes to \(event)"]) }
            throw VerifySelectionError(lines: ["error: no webhook to verify in \(files.joined(separator: ", "))"])
        }
        return selected
    }

    private static func cannotSend(_ item: VerifyItem) -> String? {
        if item.webhook.attributes[.kind]?.string == "meta" {
            return "kind: meta receives Meta's own payload as Kapso forwards it, which kapsoctl does not imitate; use --via-kapso"
        }
        if item.event == nil { return "the spec declares no events for it, so Kapso sends it nothing" }
        if item.webhook.attributes.secretKey == nil {
            if item.config.scope.api == .platform { return ServerSecrets.unread }
            return "the spec does not declare its secret_key, so kapsoctl cannot sign as Kapso does; use --via-kapso"
        }
        return EndpointVerifier.refusal(item.webhook.url)
    }
}

/// `--url` or `--event` selects nothing it should.
public struct VerifySelectionError: ReportedError, Sendable {
    public var lines: [String]
    public var report: String { lines.joined(separator: "\n") }
}

/// What verifying one webhook came to: its lines (what was sent, what came back) and whether it failed.
public struct VerifyOutcome: Sendable {
    public var item: VerifyItem
    public var lines: [String]
    public var failed: Bool

    public init(item: VerifyItem, lines: [String], failed: Bool) {
        self.item = item
        self.lines = lines
        self.failed = failed
    }
}
