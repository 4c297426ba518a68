import ArgumentParser
import Dispatch
import Foundation
import KapsoKit
import Synchronization

/// The output formats of `apply`.
enum ApplyFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `kapsoctl apply`: plan, confirm, and make exactly the planned changes.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Plan, confirm, then make exactly the planned changes (one minimal request per changed webhook).",
        discussion: """
        On a terminal it asks before writing; without a terminal it needs --auto-approve. \
        'kapsoctl apply PLAN.json' carries out a plan saved by 'plan --out' without asking, after \
        checking that the server and the secrets are as they were when it was made. \
        Exit status: 0 all done (or nothing to do); 1 failed before any write; 3 partial \
        (some writes done, some failed or not attempted: the report lists each).
        """
    )

    @Argument(help: ArgumentHelp("A plan saved by 'kapsoctl plan --out'.", valueName: "plan.json"), completion: .file(extensions: ["json"]))
    var planFile: String?

    @OptionGroup var spec: SpecOptions
    @OptionGroup var selection: PlanSelection
    @OptionGroup var network: NetworkOptions
    @OptionGroup var color: ColorOptions

    @Flag(name: .customLong("auto-approve"), help: "Apply without asking.")
    var autoApprove = false

    @Option(name: .customLong("max-deletes"), help: "Refuse, before any write, a run that would delete more webhooks than this.")
    var maxDeletes = 5

    @Option(help: "Output format: text, or json (the report as one document on stdout; the plan goes to stderr).")
    var format: ApplyFormat = .text

    @Option(help: ArgumentHelp("Also write the report as JSON to this file (whatever --format says), for a CI artifact.", valueName: "report.json"),
            completion: .file(extensions: ["json"]))
    var report: String?

    func validate() throws {
        guard maxDeletes >= 0 else { throw ValidationError("--max-deletes must not be negative") }
        if planFile != nil && (!spec.files.isEmpty || !selection.configs.isEmpty || selection.prune || selection.rotateSecrets) {
            throw ValidationError("a saved plan already fixes the spec and its options; drop -f, --config, --prune and --rotate-secrets")
        }
    }

    func run() async throws {
        let environment = try spec.environment()
        if let planFile {
            try await applySaved(planFile, environment: environment)
            return
        }
        let run = try await PlanRun.make(spec: spec, selection: selection, network: network, environment: environment,
                                         settleDuplicates: true)
        if format == .json {
            Console.error(TextRenderer(color: false).render(run.plan), terminator: "")
        } else {
            Console.output(TextRenderer(color: color.enabled(environment)).render(run.plan), terminator: "")
        }
        try await Self.execute(run.plan.writes, observed: run.observed, client: run.client, parallelism: network.parallelism,
                               maxDeletes: maxDeletes, autoApprove: autoApprove, format: format, reportFile: report,
                               environment: environment)
    }

    /// `apply PLAN.json`: check the saved plan against the server and the environment, then write.
    private func applySaved(_ path: String, environment: [String: String]) async throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw SavedPlanError.unreadable(path: path) }
        // A spec given where the plan goes: said so, with the command meant.
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml"), data.first != UInt8(ascii: "{") {
            throw CommandError(lines: [SavedPlanError.notAPlan(path: path, reason: "it is a spec, not JSON").report,
                                       "hint: to plan and apply a spec, give it with -f: kapsoctl apply -f \(ShellWord.quoted(path))"])
        }
        let saved = try SavedPlan.load(data, path: path)
        let client = try network.makeClient(environment: environment, api: saved.api)
        // A trailing slash does not make another server.
        func base(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }
        guard base(saved.apiURL) == base(client.baseURL.absoluteString) else {
            throw SavedPlanError.otherServer(plan: saved.apiURL, now: client.baseURL.absoluteString)
        }
        try saved.checkSpec(client: client)
        Progress.start(environment: environment)
        let observed = try await StateReader.read(scopes: saved.scopes, client: client, parallelism: network.parallelism).get()
        Progress.stop()
        let writes = try saved.resolve(against: observed, environment: environment, client: client)
        let say: (String) -> Void = format == .json ? { Console.error($0) } : { Console.output($0) }
        say("Applying the plan saved in \(path) (made \(saved.createdAt)):")
        for write in saved.writes {
            let mark = switch write.action { case .create: "+"; case .delete: "-"; case .replace: "-/+"; default: "~" }
            let fields = write.fields.isEmpty ? "" : " (\(write.fields.joined(separator: ", ")))"
            say("  \(mark) \(write.url)\(write.webhookID.map { " [id \($0)]" } ?? "") in \(write.scope)\(fields)")
        }
        try await Self.execute(writes, observed: observed, client: client, parallelism: network.parallelism,
                               maxDeletes: maxDeletes, autoApprove: true, confirm: false, format: format, reportFile: report,
                               environment: environment)
    }

    /// The shared second half of `apply` (from a fresh plan or a saved one): guard, confirm, write, report.
    static func execute(_ writes: [PlannedWrite], observed: ObservedState, client: KapsoClient, parallelism: Int,
                        maxDeletes: Int, autoApprove: Bool, confirm: Bool = true, format: ApplyFormat,
                        reportFile: String?, environment: [String: String]) async throws {
        guard !writes.isEmpty else {
            if let reportFile { try OutputFile.write(ApplyReport(entries: []).json(), to: reportFile) }
            if format == .json {
                Console.error("No changes. Nothing to apply.")
                Console.output(ApplyReport(entries: []).json(), terminator: "")
            } else {
                Console.output("No changes. Nothing to apply.")
            }
            return
        }
        // A replace deletes too, and counts.
        let deletes = writes.filter { $0.action == .delete || $0.action == .replace }
        if deletes.count > maxDeletes {
            throw CommandError(lines: ["error: this run would delete \(deletes.count) webhooks, more than --max-deletes \(maxDeletes); nothing was written. Pass --max-deletes \(deletes.count) to allow it."]
                + deletes.map { "  - \($0.displayURL) [id \($0.webhookID ?? "")] in \($0.scope)\($0.action == .replace ? " (replaced)" : "")" })
        }
        if confirm && !autoApprove {
            guard isatty(STDIN_FILENO) == 1 else {
                throw CommandError("error: no terminal to confirm on; pass --auto-approve to apply without asking. Nothing was written.")
            }
            // With --format json stdout carries only the report: the question goes to stderr.
            let ask: (String, String) -> Void = format == .json ? { Console.error($0 + $1, terminator: "") } : { Console.output($0, terminator: $1) }
            ask("Apply these changes? [y/N] ", "")
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
            guard answer == "y" || answer == "yes" else {
                // A choice, not an error: said next to the question.
                ask("Not applied. Nothing was written.", "\n")
                throw ExitCode.failure
            }
        }
        // Until here Ctrl-C ends the run at once (nothing is written yet); from here the first one
        // lets requests in flight finish and starts no new one.
        let interrupts = Interrupts(total: writes.count)
        Console.markServerWritten()
        Progress.start(environment: environment)
        Progress.applying(total: writes.count)
        let executor = Executor(client: client, parallelism: parallelism, shouldStart: { !interrupts.requested },
                                finished: { entry in
                                    interrupts.record(entry)
                                    Progress.writeFinished()
                                })
        let report = await executor.apply(writes, observed: observed)
        Progress.stop()
        interrupts.stop()
        switch format {
        case .text: Console.output(report.rendered(), terminator: "")
        case .json: Console.output(report.json(), terminator: "")
        }
        if let reportFile {
            // The server was written: a report that cannot be saved fails a run that otherwise
            // succeeded, and leaves a partial run's own exit code (3) as it is.
            do { try OutputFile.write(Console.redacted(report.json()), to: reportFile) } catch {
                Console.error(error.report)
                if report.exitCode == 0 { throw ExitCode.failure }
            }
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
