import ArgumentParser
import Foundation
import KapsoKit

/// `kapsoctl verify`: send each declared endpoint a signed sample delivery, as Kapso would, and
/// report how it answered — or ask Kapso to send one (`--via-kapso`).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Send each declared endpoint a signed sample delivery, as Kapso would, and report how it answered.",
        discussion: """
        Each selected webhook gets one POST built as Kapso builds a delivery: a sample body for one \
        of its events (its first, or --event), X-Webhook-Signature (hex HMAC-SHA256 of the body keyed \
        by the spec's secret_key), X-Webhook-Event, X-Idempotency-Key, X-Webhook-Payload-Version, the \
        webhook's own headers, and X-Webhook-Test: true so the receiver can ignore it. An answer \
        must be 2xx within Kapso's 10 s (a delivery always gets 10 s; --timeout and --retry-budget \
        are for the API requests of --via-kapso); a redirect is not followed and fails (a receiver \
        must answer itself). Only https:// URLs are sent to (plain http:// only to loopback). The \
        secret and the signature are never printed.

        A spec can come from an unreviewed pull request, so it never chooses on its own where a \
        signed delivery goes: an endpoint is sent to only when its scheme, host and port are \
        already registered in the live Kapso project (read with KAPSO_API_KEY when it is set) or \
        its host is allowed by --allow-host or KAPSOCTL_VERIFY_HOSTS; any other is "not verified", \
        decided before any DNS query. Loopback, private, link-local and metadata addresses are \
        refused unless --allow-private-addresses. Exit status: 0 when every selected endpoint \
        passed, 1 otherwise.
        """
    )

    @OptionGroup var spec: SpecOptions

    @Option(name: .customLong("config"), help: ArgumentHelp("Only this config id, phone number id, or 'project'. Repeatable.", valueName: "id"))
    var configs: [String] = []

    @Option(name: .customLong("url"), help: ArgumentHelp("Only the webhook with this URL (as declared, or as resolved). Repeatable.", valueName: "url"))
    var urls: [String] = []

    @Option(name: .customLong("event"), help: ArgumentHelp("Send this event (to the webhooks subscribed to it) instead of each webhook's first.", valueName: "name"))
    var event: String?

    @Flag(name: .customLong("probe-signature"), help: "Also send the delivery with a wrong signature and with none; a receiver that accepts either is reported as not verifying signatures (exit 1).")
    var probeSignature = false

    @Flag(name: .customLong("via-kapso"), help: "Ask Kapso to send each webhook a test delivery (Platform API: POST /whatsapp/webhooks/{id}/test) instead of sending it from here. Needs KAPSO_API_KEY.")
    var viaKapso = false

    @Flag(name: .customLong("dry-run"), help: "Print what would be sent (the signature masked) and send nothing.")
    var dryRun = false

    @Option(name: .customLong("allow-host"), help: ArgumentHelp("Also send to this host (host, host:port or *.domain) though the live project has no webhook there; added to $KAPSOCTL_VERIFY_HOSTS. Repeatable. Set by the workflow, never by the spec.", valueName: "host"))
    var allowHosts: [String] = []

    @Flag(name: .customLong("allow-private-addresses"), help: "Send to hosts that resolve to loopback, private or link-local addresses too (local testing, a staging network).")
    var allowPrivateAddresses = false

    @Option(help: "Output format: text, or github (text, with an annotation at the declaration of each endpoint that failed).")
    var format: DiagnosticFormat = .text

    @OptionGroup var network: NetworkOptions

    /// Fences the report with `stop-commands` (it quotes receivers' and Kapso's text) under `--format github`.
    private static let fence = UUID().uuidString.lowercased()

    func validate() throws {
        if viaKapso && probeSignature {
            throw ValidationError("--probe-signature sends from here; it cannot be combined with --via-kapso")
        }
        if let event, !EventNames.isWellFormed(event) {
            throw ValidationError("--event '\(event)' is not an event name (such as whatsapp.message.received)")
        }
        do {
            _ = try DeliveryPolicy.patterns(allowHosts)
        } catch {
            throw ValidationError("--allow-host '\(error.entry)' is not a host; write host, host:port or *.domain")
        }
    }

    /// A selected webhook: what to send, or why nothing can be.
    private struct Selected {
        var config: DesiredConfig
        var webhook: DesiredWebhook
        var event: String?
        var cannot: String?
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if format == .github { Console.annotateErrors() }
        var state = try spec.load(environment: environment)
        var secrets = Array(state.secretValues)
        for config in state.configs {
            for webhook in config.webhooks {
                if let key = webhook.attributes.secretKey { secrets.append(key) }
                for (name, value) in webhook.attributes.headers ?? [:] where webhook.sensitiveHeaders.contains(name.lowercased()) {
                    secrets.append(value)
                }
            }
        }
        Console.protect(secrets)
        try PlanRun.select(&state, configs: configs, spec: spec)
        let selected = try select(state)

        if viaKapso {
            try await throughKapso(state, selected)
            return
        }
        let time = Date()
        let policy = try await deliveryPolicy(state, environment: environment)
        if dryRun {
            try printDryRun(selected, policy: policy, time: time)
            return
        }
        let targets = selected.compactMap { item -> VerifyTarget? in
            guard item.cannot == nil, let event = item.event, let secret = item.webhook.attributes.secretKey else { return nil }
            return VerifyTarget(scope: item.config.scope, displayURL: item.webhook.displayURL, url: item.webhook.url, event: event,
                                payloadVersion: SampleDelivery.payloadVersion(of: item.webhook.attributes),
                                secretKey: secret, headers: item.webhook.attributes.headers ?? [:])
        }
        let transport = CurlTransport(maxConnectionsPerHost: network.parallelism, maxResponseBytes: 1 << 20,
                                      trust: try CurlTransport.Trust.from(environment: environment))
        var reports = await EndpointVerifier(transport: transport, limit: network.parallelism, policy: policy, time: time)
            .verify(targets, probe: probeSignature)[...]
        var passed = 0
        var failed = 0
        var insecure = 0
        let failures = report(selected) { item in
            guard item.cannot == nil else {
                failed += 1
                return (["not verified: \(item.cannot!)"], true)
            }
            let result = reports.removeFirst()
            if result.passed { passed += 1 } else { failed += 1 }
            if result.acceptsUnsigned { insecure += 1 }
            return (result.lines, !result.passed)
        }
        try finish("Verify: \(passed) passed, \(failed) failed" + (insecure > 0 ? " (\(insecure) not verifying signatures)." : "."), failures)
    }

    /// The webhooks `--url` and `--event` select, each with the event to send or why none can be.
    private func select(_ state: DesiredState) throws -> [Selected] {
        var unmatched = Set(urls)
        var selected: [Selected] = []
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
                var item = Selected(config: config, webhook: webhook)
                if let event {
                    guard events.contains(event) else {
                        leftOut += 1
                        continue
                    }
                    item.event = event
                } else {
                    item.event = events.first
                }
                if !viaKapso {
                    if webhook.attributes[.kind]?.string == "meta" {
                        item.cannot = "kind: meta receives Meta's own payload as Kapso forwards it, which kapsoctl does not imitate; use --via-kapso"
                    } else if item.event == nil {
                        item.cannot = "the spec declares no events for it, so Kapso sends it nothing"
                    } else if webhook.attributes.secretKey == nil {
                        item.cannot = "the spec does not declare its secret_key, so kapsoctl cannot sign as Kapso does; use --via-kapso"
                    } else if let refusal = EndpointVerifier.refusal(webhook.url) {
                        item.cannot = refusal
                    }
                }
                selected.append(item)
            }
        }
        guard unmatched.isEmpty else {
            throw CommandError(lines: unmatched.sorted().map { "error: --url \(URLDisplay.masked($0)) is not declared in the selected configs of \(spec.paths.joined(separator: ", "))" })
        }
        guard !selected.isEmpty else {
            if let event, leftOut > 0 {
                throw CommandError("error: no selected webhook subscribes to \(event)")
            }
            throw CommandError("error: no webhook to verify in \(spec.paths.joined(separator: ", "))")
        }
        return selected
    }

    /// One block per config: a heading, then per webhook its URL and event and the lines `body`
    /// gives. Returns the webhooks `body` said failed, with their lines.
    private func report(_ selected: [Selected], _ body: (Selected) -> (lines: [String], failed: Bool)) -> [(DesiredWebhook, [String])] {
        if format == .github { Console.command(WorkflowCommands.stopCommands(Self.fence)) }
        var failures: [(DesiredWebhook, [String])] = []
        var current: WebhookScope?
        for item in selected {
            if item.config.scope != current {
                if current != nil { Console.output("") }
                current = item.config.scope
                Console.output(item.config.scope.title + (item.config.name.map { " (\($0))" } ?? ""))
            }
            let what = item.event.map { " — \($0), payload \(SampleDelivery.payloadVersion(of: item.webhook.attributes))" } ?? ""
            Console.output("  \(item.webhook.displayURL)\(what)")
            let outcome = body(item)
            for line in outcome.lines { Console.output(line.isEmpty ? "" : "    \(line)") }
            if outcome.failed { failures.append((item.webhook, outcome.lines)) }
        }
        Console.output("")
        return failures
    }

    /// The summary line; under `--format github` the end of the fence and an error annotation at
    /// the declaration of each webhook that failed (a notice with the summary when none did);
    /// exit 1 when any failed.
    private func finish(_ summary: String, _ failures: [(DesiredWebhook, [String])]) throws {
        Console.output(summary)
        if format == .github {
            Console.command(WorkflowCommands.resumeCommands(Self.fence))
            for (webhook, lines) in failures {
                Console.command(WorkflowCommands.annotation(.error, "\(webhook.displayURL): " + lines.joined(separator: "\n"), file: webhook.location.file,
                                                           line: webhook.location.line, column: webhook.location.column, title: "kapsoctl verify"))
            }
            if failures.isEmpty { Console.command(WorkflowCommands.annotation(.notice, summary, title: "kapsoctl verify")) }
        }
        if !failures.isEmpty { throw ExitCode.failure }
    }

    /// Where deliveries may go: the origins of the webhooks registered in the live project (when
    /// KAPSO_API_KEY is set) and the hosts the workflow allows.
    private func deliveryPolicy(_ state: DesiredState, environment: [String: String]) async throws -> DeliveryPolicy {
        let entries = (environment["KAPSOCTL_VERIFY_HOSTS"].map { [$0] } ?? []) + allowHosts
        let allowed: [DeliveryPolicy.HostPattern]
        do {
            allowed = try DeliveryPolicy.patterns(entries)
        } catch {
            throw CommandError("error: KAPSOCTL_VERIFY_HOSTS holds '\(error.entry)', which is not a host; write host, host:port or *.domain, separated by commas or spaces")
        }
        var registered = Set<DeliveryPolicy.Origin>()
        if !(environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let client = try network.makeClient(environment: environment, api: state.api)
            let observed = try await SettledRead.read(for: state.configs, client: client, parallelism: network.parallelism, settleReads: 0).get()
            for webhook in observed.all {
                if let url = webhook.url, let origin = DeliveryPolicy.Origin(url) { registered.insert(origin) }
            }
        }
        return DeliveryPolicy(registered: registered, allowedHosts: allowed, allowPrivateAddresses: allowPrivateAddresses)
    }

    /// `--dry-run`: each delivery as it would be sent, the signature and sensitive header values masked.
    private func printDryRun(_ selected: [Selected], policy: DeliveryPolicy, time: Date) throws {
        _ = report(selected) { item in
            guard item.cannot == nil, let event = item.event, let secret = item.webhook.attributes.secretKey else {
                return (["would not send: \(item.cannot ?? "nothing to send")"], false)
            }
            if let refusal = policy.originRefusal(item.webhook.url) {
                return (["would not send: \(refusal)"], false)
            }
            let delivery = SampleDelivery(event: event, payloadVersion: SampleDelivery.payloadVersion(of: item.webhook.attributes),
                                          scope: item.config.scope, secretKey: secret, headers: item.webhook.attributes.headers ?? [:],
                                          idempotencyKey: "(a new UUID for each delivery)", time: time)
            var lines = ["POST \(item.webhook.displayURL)"]
            for header in delivery.headers {
                let masked = header.name == "X-Webhook-Signature" || item.webhook.sensitiveHeaders.contains(header.name.lowercased())
                lines.append("\(header.name): \(masked ? Redactor.mask : header.value)")
            }
            lines.append("")
            let body = String(decoding: (try? JSONValue.parse(Data(delivery.body)))?.pretty() ?? Data(delivery.body), as: UTF8.self)
            lines += body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
            if probeSignature { lines.append("(and the same with a wrong signature, and with none)") }
            return (lines, false)
        }
        try finish("Verify (dry run): nothing was sent.", [])
    }

    /// `--via-kapso`: find each webhook on the server and ask Kapso to send it a test delivery.
    private func throughKapso(_ state: DesiredState, _ selected: [Selected]) async throws {
        guard state.api == .platform else {
            throw CommandError("error: --via-kapso needs the Platform API (api: platform in the spec): the legacy API has no route that sends a test delivery")
        }
        let environment = ProcessInfo.processInfo.environment
        let client = try network.makeClient(environment: environment, api: state.api)
        let observed = try await SettledRead.read(for: state.configs, client: client, parallelism: network.parallelism, settleReads: 0).get()
        let plan = try Planner.plan(state.configs, observed: observed, options: PlanOptions())
        var ids: [SourceLocation: String] = [:]
        for config in plan.configs {
            for change in config.changes {
                if let desired = change.desired, let id = change.webhookID, change.action != .replace { ids[desired.location] = id }
            }
        }
        if dryRun {
            _ = report(selected) { item in
                guard let id = ids[item.webhook.location] else { return (["would not ask: not on the server (apply first)"], false) }
                return (["would ask Kapso: POST /whatsapp/webhooks/\(id)/test" + (item.event.map { " {\"event_type\": \"\($0)\"}" } ?? " {}")], false)
            }
            try finish("Verify (dry run): nothing was sent.", [])
            return
        }
        let asks = selected.enumerated().compactMap { index, item in ids[item.webhook.location].map { (index, $0, item.event) } }
        let answers = await boundedMap(asks, limit: network.parallelism) { index, id, event -> (Int, String?) in
            do throws(APIError) {
                try await client.testWebhook(id: id, event: event)
                return (index, nil)
            } catch {
                return (index, error.description)
            }
        }
        let results = Dictionary(answers) { (first: String?, _: String?) in first }
        var queued = 0
        var failed = 0
        var index = 0
        let failures = report(selected) { item in
            defer { index += 1 }
            guard let outcome = results[index] else {
                failed += 1
                return (["not verified: it is not on the server (kapsoctl apply creates it)"], true)
            }
            if let failure = outcome {
                failed += 1
                return (["failed: \(failure)"], true)
            }
            queued += 1
            return (["queued: Kapso accepted the test and will deliver it to the endpoint (its answer shows in Kapso's delivery logs, not here)"], false)
        }
        try finish("Verify (via Kapso): \(queued) queued, \(failed) failed.", failures)
    }
}
