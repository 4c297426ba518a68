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
        let configs = state.configs.count
        let webhooks = state.webhookCount
        Console.output("\(spec.paths.joined(separator: ", ")): valid (\(configs) config\(configs == 1 ? "" : "s"), \(webhooks) webhook\(webhooks == 1 ? "" : "s"))")
    }
}
