import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// The spec of two configs with `count` webhooks each, none of which the (empty) server has.
private func manyCreates(_ count: Int) -> String {
    var yaml = "version: 1\ndefaults:\n  secret_key: ${SECRET}\n  events: [whatsapp.message.received, whatsapp.message.sent]\nconfigs:\n"
    for config in [supportConfig, bulkConfig] {
        yaml += "  - whatsapp_config_id: \(config)\n    name: team \(config.prefix(4))\n    webhooks:\n"
        for i in 0..<count {
            yaml += "      - {url: \"https://hooks.example.com/support-line/whatsapp/inbound/\(config.prefix(8))/\(i)\", headers: {X-Team: blue}}\n"
        }
    }
    return yaml
}

@Suite struct GitHubActionsTests {
    /// A PR comment is limited to 65,536 characters: 250 creates (87,804 characters before) fit,
    /// cut between webhooks with the counts of what is left out and a pointer to the full plan;
    /// the job summary (1 MiB) gets the whole plan.
    @Test func markdownPlanFitsACommentAndTheSummaryHoldsAll() async throws {
        let empty = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: []), SimulatorSeed.Config(id: bulkConfig, webhooks: [])])
        try await withScenario(seed: empty, spec: manyCreates(125)) { simulator, dir, env in
            var runner = env
            runner["GITHUB_STEP_SUMMARY"] = dir.appendingPathComponent("summary.md").path
            runner["GITHUB_SERVER_URL"] = "https://github.example.com"
            runner["GITHUB_REPOSITORY"] = "acme/hooks"
            runner["GITHUB_RUN_ID"] = "4242"
            try "## earlier step\n".write(to: dir.appendingPathComponent("summary.md"), atomically: true, encoding: .utf8)
            let result = try await runKapsoctl(["plan", "--format", "markdown", "--step-summary"], environment: runner, directory: dir)
            #expect(result.status == 0, "\(result.stderr)")
            let comment = result.stdout
            #expect(comment.utf16.count < 65_536, "\(comment.utf16.count) characters")
            #expect(comment.utf8.count <= MarkdownRenderer.commentBudget)
            #expect(comment.contains("**Plan: 250 to create, 0 to update, 0 to delete, 0 unchanged, 0 unmanaged.**"))
            let shown = comment.components(separatedBy: "- ➕ **create**").count - 1
            #expect(shown > 50 && shown < 250, "\(shown) shown")
            #expect(comment.contains("**Truncated:** \(250 - shown) more webhooks (\(250 - shown) to create) in "), "\(comment.suffix(800))")
            #expect(comment.contains("[this workflow run](https://github.example.com/acme/hooks/actions/runs/4242)"))
            // Whole tables only: every create shown has its six rows, every section is closed.
            #expect(comment.components(separatedBy: "| field | before | after |").count - 1 == shown)
            #expect(comment.components(separatedBy: "| events |  | ").count - 1 == shown)
            #expect(comment.components(separatedBy: "| headers |  | ").count - 1 == shown)
            #expect(comment.components(separatedBy: "<details").count == comment.components(separatedBy: "</details>").count)

            let summary = try String(contentsOf: dir.appendingPathComponent("summary.md"), encoding: .utf8)
            #expect(summary.hasPrefix("## earlier step\n### kapsoctl plan\n"), "appended, not replaced")
            #expect(summary.components(separatedBy: "- ➕ **create**").count - 1 == 250)
            #expect(!summary.contains("Truncated"))
            expectNoCanary(comment, summary, result.stderr)
            #expect(await simulator.writes().isEmpty)
        }
    }

    /// `--format github`: the text plan between stop-commands (so no server text is read as a
    /// command), then one annotation with the counts; a warning when something would be deleted.
    /// Off a runner, `--step-summary` says it has nowhere to write and the plan goes on.
    @Test func githubFormatAnnotatesThePlan() async throws {
        try await withScenario { _, dir, env in
            let result = try await runKapsoctl(["plan", "--format", "github", "--step-summary"], environment: env, directory: dir)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let stop = try #require(lines.first)
            #expect(stop.hasPrefix("::stop-commands::"))
            let token = String(stop.dropFirst("::stop-commands::".count))
            #expect(token.count >= 32)
            let resume = try #require(lines.firstIndex(of: "::\(token)::"))
            #expect(lines[1..<resume].contains { $0.contains("https://hooks.example.com/changed") })
            #expect(!lines[1..<resume].contains { $0.hasPrefix("::") })
            #expect(lines[resume + 1] == "::warning title=kapsoctl plan::Plan: 1 to create, 2 to update, 1 to delete, 150 unchanged, 1 unmanaged.")
            #expect(result.stderr.contains("note: --step-summary: GITHUB_STEP_SUMMARY is not set"))
            expectNoCanary(result.stdout, result.stderr)

            // A failure is an annotation too.
            var broken = env
            broken["KAPSO_API_KEY"] = "wrong-key"
            let denied = try await runKapsoctl(["plan", "--format", "github"], environment: broken, directory: dir)
            #expect(denied.status == 1)
            #expect(denied.stdout.hasPrefix("::error title=kapsoctl::"), "\(denied.stdout)")
            #expect(denied.stdout.contains("401"), "\(denied.stdout)")
        }
    }
}
