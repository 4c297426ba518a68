import ArgumentParser
import Foundation
import KapsoKit

/// How `validate` reports.
enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, github, json
}

/// `kapsoctl validate`: parse and check spec files without touching the network.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check spec files; report every error with file:line:column. No network.",
        discussion: """
        An unset ${VAR} is a note, not an error (validate runs where secrets are not available, such \
        as pull requests from forks), unless --require-env. Exit status: 0 when valid, 1 when any \
        error was found.
        """
    )

    @OptionGroup var spec: SpecOptions

    @Option(help: "Output format: text, github (errors and notes as GitHub Actions annotations), or json (one document on stdout: diagnostics with file, line and column).")
    var format: DiagnosticFormat = .text

    @Flag(name: .customLong("require-env"), help: "An unset ${VAR} is an error, as it is for plan and apply.")
    var requireEnv = false

    func run() async throws {
        if format == .github { Console.annotateErrors() }
        let unset: UnsetVariables = requireEnv ? .error : .note
        if format == .json {
            let diagnostics: [SpecDiagnostic]
            do {
                let state = try spec.load(environment: spec.environment(), unsetVariables: unset)
                Console.output(ValidationJSON.render(paths: spec.paths, state: state, diagnostics: state.notes), terminator: "")
                return
            } catch let error as SpecLoadError {
                diagnostics = error.failure.diagnostics
            } catch let error as SpecFailure {
                diagnostics = error.diagnostics
            }
            Console.output(ValidationJSON.render(paths: spec.paths, state: nil, diagnostics: diagnostics), terminator: "")
            throw ExitCode.failure
        }
        let state = try spec.load(environment: spec.environment(), unsetVariables: unset)
        Console.notes(state.notes)
        let webhooks = state.webhookCount
        let scopes: String
        switch state.api {
        case .legacy:
            let configs = state.configs.count
            scopes = "\(configs) config\(configs == 1 ? "" : "s")"
        case .platform:
            let numbers = state.configs.filter { $0.scope != .project }.count
            scopes = "\(numbers) phone number\(numbers == 1 ? "" : "s")" + (state.configs.contains { $0.scope == .project } ? ", the project" : "")
        }
        let shown = spec.paths.map { $0 == SpecLoader.standardInput ? SpecLoader.standardInputName : $0 }
        Console.output("\(shown.joined(separator: ", ")): valid (\(scopes), \(webhooks) webhook\(webhooks == 1 ? "" : "s"))")
    }
}
