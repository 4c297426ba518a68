import ArgumentParser
import Foundation
import KapsoKit

/// `kapsoctl show PLAN.json`: a saved plan rendered offline, as `plan` printed it.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a plan saved by 'plan --out' as 'plan' printed it. Offline: no API key, no request.",
        discussion: "Exit status: 0, or 1 when the file is not a readable plan."
    )

    @Argument(help: ArgumentHelp("A plan saved by 'kapsoctl plan --out'.", valueName: "plan.json"), completion: .file(extensions: ["json"]))
    var planFile: String

    @OptionGroup var color: ColorOptions
    @Option(help: "Output format: text, json or markdown (as 'plan --format').")
    var format: ShowFormat = .text

    enum ShowFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: planFile) else { throw SavedPlanError.unreadable(path: planFile) }
        let plan = try SavedPlan.load(data, path: planFile).shownPlan
        let environment = ProcessInfo.processInfo.environment
        switch format {
        case .text: Console.output(TextRenderer(color: color.enabled(environment)).render(plan), terminator: "")
        case .json: Console.output(JSONRenderer.render(plan), terminator: "")
        case .markdown: Console.output(MarkdownRenderer.render(plan, fullPlan: GitHubRun.fullPlanPointer(environment)), terminator: "")
        }
    }
}
