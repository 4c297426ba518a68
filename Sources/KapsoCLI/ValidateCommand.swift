import ArgumentParser
import Foundation
import KapsoKit

/// `kapsoctl validate`: parse and check spec files without touching the network.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check spec files; report every error with file:line:column. No network.",
        discussion: "Exit status: 0 when valid, 1 when any error was found."
    )

    @OptionGroup var spec: SpecOptions

    func run() async throws {
        let state = try spec.load(environment: ProcessInfo.processInfo.environment)
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
        Console.output("\(spec.paths.joined(separator: ", ")): valid (\(scopes), \(webhooks) webhook\(webhooks == 1 ? "" : "s"))")
    }
}
