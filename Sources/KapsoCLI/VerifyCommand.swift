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
        by the spec's secret_key, or by the one Kapso generated when a Platform spec leaves it out, read \
        with KAPSO_API_KEY), X-Webhook-Event, X-Idempotency-Key, X-Webhook-Payload-Version, the \
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

    func run() async throws {
        let environment = try spec.environment()
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
        var selected = try VerifySelection.select(state, urls: urls, event: event, viaKapso: viaKapso, files: spec.paths)

        if viaKapso {
            try await throughKapso(state, selected, environment: environment)
            return
        }
        let time = Date()
        let (policy, observed) = try await deliveryPolicy(state, environment: environment)
        if let observed { try ServerSecrets.fill(&selected, configs: state.configs, observed: observed) }
        Console.protect(selected.compactMap(\.serverSecret))
        if dryRun {
            try print(VerifyReport(entries: selected.map {
                VerifyOutcome(item: $0, lines: VerifyReport.dryRunLines($0, policy: policy, probe: probeSignature, time: time), failed: false)
            }, summary: "Verify (dry run): nothing was sent."))
            return
        }
        let targets = selected.compactMap(\.target)
        let transport = CurlTransport(maxConnectionsPerHost: network.parallelism, maxResponseBytes: 1 << 20,
                                      trust: try CurlTransport.Trust.from(environment: environment))
        var reports = await EndpointVerifier(transport: transport, limit: network.parallelism, policy: policy, time: time)
            .verify(targets, probe: probeSignature)[...]
        var insecure = 0
        let entries = selected.map { item -> VerifyOutcome in
            guard let cannot = item.cannot else {
                let result = reports.removeFirst()
                if result.acceptsUnsigned { insecure += 1 }
                return VerifyOutcome(item: item, lines: result.lines, failed: !result.passed)
            }
            return VerifyOutcome(item: item, lines: ["not verified: \(cannot)"], failed: true)
        }
        let failed = entries.filter(\.failed).count, unsigned = insecure > 0 ? " (\(insecure) not verifying signatures)." : "."
        try print(VerifyReport(entries: entries, summary: "Verify: \(entries.count - failed) passed, \(failed) failed" + unsigned))
    }

    /// The report on stdout (fenced, with annotations, under `--format github`); exit 1 when an
    /// endpoint failed.
    private func print(_ report: VerifyReport) throws {
        if format == .github { Console.command(WorkflowCommands.stopCommands(Self.fence)) }
        for line in report.textLines { Console.output(line) }
        if format == .github {
            Console.command(WorkflowCommands.resumeCommands(Self.fence))
            for annotation in report.annotations { Console.command(annotation) }
        }
        if report.hasFailures { throw ExitCode.failure }
    }

    /// Where deliveries may go: the origins of the webhooks registered in the live project (read
    /// when KAPSO_API_KEY is set, and returned) and the hosts the workflow allows.
    private func deliveryPolicy(_ state: DesiredState, environment: [String: String]) async throws -> (DeliveryPolicy, ObservedState?) {
        let entries = (environment["KAPSOCTL_VERIFY_HOSTS"].map { [$0] } ?? []) + allowHosts
        let allowed: [DeliveryPolicy.HostPattern]
        do {
            allowed = try DeliveryPolicy.patterns(entries)
        } catch {
            throw CommandError("error: KAPSOCTL_VERIFY_HOSTS holds '\(error.entry)', which is not a host; write host, host:port or *.domain, separated by commas or spaces")
        }
        var observed: ObservedState?
        if !(environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let client = try network.makeClient(environment: environment, api: state.api)
            observed = try await SettledRead.read(for: state.configs, client: client, parallelism: network.parallelism, settleReads: 0).get()
        }
        let registered = Set((observed?.all ?? []).compactMap { $0.url.flatMap(DeliveryPolicy.Origin.init) })
        return (DeliveryPolicy(registered: registered, allowedHosts: allowed, allowPrivateAddresses: allowPrivateAddresses), observed)
    }

    /// `--via-kapso`: find each webhook on the server and ask Kapso to send it a test delivery.
    private func throughKapso(_ state: DesiredState, _ selected: [VerifyItem], environment: [String: String]) async throws {
        guard state.api == .platform else {
            throw CommandError("error: --via-kapso needs the Platform API (api: platform in the spec): the legacy API has no route that sends a test delivery")
        }
        let client = try network.makeClient(environment: environment, api: state.api)
        let observed = try await SettledRead.read(for: state.configs, client: client, parallelism: network.parallelism, settleReads: 0).get()
        let ids = try KapsoTestDeliveries.serverIDs(state.configs, observed: observed)
        if dryRun {
            try print(VerifyReport(entries: selected.map { KapsoTestDeliveries.dryRun($0, id: ids[$0.webhook.location]) },
                                   summary: "Verify (dry run): nothing was sent."))
            return
        }
        let entries = await KapsoTestDeliveries.ask(selected, ids: ids, client: client, parallelism: network.parallelism)
        let failed = entries.filter(\.failed).count
        try print(VerifyReport(entries: entries, summary: "Verify (via Kapso): \(entries.count - failed) queued, \(failed) failed."))
    }
}
