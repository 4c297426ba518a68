import ArgumentParser
import Foundation
import KapsoKit

/// `kapsoctl status`: is what the spec declares actually delivering? Reads only.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the delivery health of every declared webhook, from Kapso's delivery history. Never writes.",
        discussion: """
        Each webhook is healthy, idle (no delivery in the period), failing (more failed deliveries \
        than --max-failure-rate allows), paused (Kapso switched it off after failures) or missing \
        (declared, not on the server). Exit status: 0 when every webhook is healthy or idle; 2 when \
        any is failing, paused or missing; 1 on any error.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown, github
    }

    @OptionGroup var spec: SpecOptions
    @OptionGroup var network: NetworkOptions

    @Option(name: .customLong("config"), help: ArgumentHelp("Limit the run to this config id, phone number id or 'project'. Repeatable.", valueName: "id"))
    var configs: [String] = []

    @Option(help: "The period of deliveries read: 24h, 7d or 30d.")
    var period: String = DeliveryPeriod.day.rawValue

    @Option(name: .customLong("max-failure-rate"), help: "A webhook with a larger failed share of its settled deliveries is failing (0-1).")
    var maxFailureRate = 0.10

    @Option(name: .customLong("max-pages"), help: "Pages of 100 deliveries read per webhook at most (1-10): the request bound.")
    var maxPages = 3

    @Option(help: "Output format: text, json, markdown or github (text, with annotations at each unhealthy webhook).")
    var format: Format = .text

    func validate() throws {
        guard DeliveryPeriod(rawValue: period) != nil else { throw ValidationError("--period must be 24h, 7d or 30d") }
        guard (0...1).contains(maxFailureRate) else { throw ValidationError("--max-failure-rate must be between 0 and 1") }
        guard (1...10).contains(maxPages) else { throw ValidationError("--max-pages must be between 1 and 10") }
    }

    func run() async throws {
        let environment = try spec.environment()
        if format == .github { Console.annotateErrors() }
        let run = try await PlanRun.make(spec: spec, configs: configs, options: PlanOptions(), network: network, environment: environment)
        let deliveries = try run.client.deliveriesClient()
        let options = HealthOptions(period: DeliveryPeriod(rawValue: period)!, maxFailureRate: maxFailureRate, maxPages: maxPages)
        Progress.start(environment: environment)
        let health = await DeliveryHealth.check(run.plan, observed: run.observed, client: deliveries, options: options,
                                                parallelism: network.parallelism)
        Progress.stop()
        let report = HealthReport(webhooks: try health.get(), period: options.period)
        switch format {
        case .text: Console.output(report.text(), terminator: "")
        case .json: Console.output(report.json(), terminator: "")
        case .markdown: Console.output(report.markdown(), terminator: "")
        case .github:
            // Fenced as the plan is: the report quotes the server's text.
            let token = UUID().uuidString.lowercased()
            Console.command(WorkflowCommands.stopCommands(token))
            Console.output(report.text(), terminator: "")
            Console.command(WorkflowCommands.resumeCommands(token))
            for line in report.annotations() { Console.command(line) }
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
