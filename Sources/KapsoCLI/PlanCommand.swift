import ArgumentParser
import Foundation
import KapsoKit

/// The output formats of `plan`.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown, github
}

/// `kapsoctl plan`: show what differs between the spec and the server. Reads only.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show, field by field, what applying the spec would change. Never writes.",
        discussion: """
        Exit status: 0 on success; with --detailed-exitcode 0 = no drift, 2 = changes present or a \
        webhook on the server that the spec neither declares nor ignores (unmanaged: added outside \
        git); 1 on any error (spec, network, authentication, API).
        """
    )

    @OptionGroup var spec: SpecOptions
    @OptionGroup var selection: PlanSelection
    @OptionGroup var network: NetworkOptions
    @OptionGroup var color: ColorOptions

    @Option(help: "Output format: text, json, markdown (a pull-request comment) or github (text, with annotations).")
    var format: PlanFormat = .text

    @Flag(name: .customLong("step-summary"), help: "On GitHub Actions, also append the markdown plan to the job summary ($GITHUB_STEP_SUMMARY).")
    var stepSummary = false

    @Flag(name: .customLong("detailed-exitcode"), help: "Exit 2 when there are changes or unmanaged webhooks (drift), 0 when there are none.")
    var detailedExitcode = false

    @Flag(help: "Ask Kapso's delivery history whether a webhook the server has inactive (and the spec active) was paused by Kapso: one request per such webhook, none otherwise.")
    var health = false

    @Option(help: ArgumentHelp("Save the plan for 'kapsoctl apply PLAN.json' (secrets as fingerprints only).", valueName: "plan.json"),
            completion: .file(extensions: ["json"]))
    var out: String?

    func run() async throws {
        let environment = try spec.environment()
        if format == .github { Console.annotateErrors() }
        var run = try await PlanRun.make(spec: spec, selection: selection, network: network, environment: environment)
        if health {
            _ = try await DeliveryHealth.markPaused(&run.plan, client: run.client.deliveriesClient(), parallelism: network.parallelism).get()
        }
        if let out {
            let saved = try SavedPlan.make(run.plan, observed: run.observed, client: run.client, specPaths: spec.paths, sources: run.sources)
            try OutputFile.write(Console.redacted(String(decoding: saved.serialized(), as: UTF8.self)), to: out, inputs: run.inputFiles)
        }
        defer {
            // Said last, on stderr (stdout may be a comment being written to a file).
            if let out { Console.error("Saved the plan to \(out). To make exactly these changes: kapsoctl apply \(ShellWord.quoted(out))") }
        }
        switch format {
        case .text: Console.output(TextRenderer(color: color.enabled(environment)).render(run.plan), terminator: "")
        case .json: Console.output(JSONRenderer.render(run.plan), terminator: "")
        case .markdown: Console.output(MarkdownRenderer.render(run.plan, fullPlan: GitHubRun.fullPlanPointer(environment)), terminator: "")
        case .github: GitHubRun.annotatedPlan(run.plan)
        }
        if stepSummary { try GitHubRun.appendStepSummary(run.plan, environment: environment) }
        if detailedExitcode && run.plan.summary.hasDrift {
            throw ExitCode(2)
        }
    }
}
