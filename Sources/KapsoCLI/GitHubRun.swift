import Foundation
import KapsoKit

/// What `plan` does for a GitHub Actions job: the annotated text plan (`--format github`), the job
/// summary (`--step-summary`) and the link a truncated markdown plan points to.
enum GitHubRun {
    /// The job summary's own limit is 1 MiB per step; the plan keeps under this.
    static let stepSummaryBudget = 1_000_000

    /// The text plan, fenced by `stop-commands` (the plan quotes the server's text, which must not
    /// be read as a workflow command), then one annotation with the counts: a warning when
    /// webhooks would be deleted or replaced, a notice otherwise.
    static func annotatedPlan(_ plan: Plan) {
        let token = UUID().uuidString.lowercased()
        Console.command(WorkflowCommands.stopCommands(token))
        Console.output(TextRenderer(color: false).render(plan), terminator: "")
        Console.command(WorkflowCommands.resumeCommands(token))
        let summary = plan.summary
        let destructive = summary.delete + summary.replace > 0
        Console.command(WorkflowCommands.annotation(destructive ? .warning : .notice, summary.line, title: "kapsoctl plan"))
    }

    /// Appends the markdown plan to `$GITHUB_STEP_SUMMARY`; off a runner, says so and goes on.
    static func appendStepSummary(_ plan: Plan, environment: [String: String]) throws(OutputFile.Failure) {
        guard let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty else {
            Console.error("note: --step-summary: GITHUB_STEP_SUMMARY is not set (it is on GitHub Actions runners); no summary written")
            return
        }
        let markdown = MarkdownRenderer.render(plan, budget: stepSummaryBudget, fullPlan: fullPlanPointer(environment))
        try OutputFile.append(Console.redacted(markdown), to: path)
    }

    /// Where a truncated markdown plan sends its reader: the workflow run, on a runner.
    static func fullPlanPointer(_ environment: [String: String]) -> String {
        guard let server = environment["GITHUB_SERVER_URL"], let repository = environment["GITHUB_REPOSITORY"],
              let run = environment["GITHUB_RUN_ID"], !server.isEmpty, !repository.isEmpty, !run.isEmpty,
              run.allSatisfy(\.isNumber), URL(string: server)?.scheme?.hasPrefix("http") == true else {
            return "run `kapsoctl plan`"
        }
        let link = "\(server)/\(repository)/actions/runs/\(run)"
        guard !link.contains(where: { $0 == ")" || $0 == "(" || $0 == " " || $0 == "\n" }) else { return "run `kapsoctl plan`" }
        return "the job summary and the saved plan of [this workflow run](\(link)), or run `kapsoctl plan`"
    }
}
