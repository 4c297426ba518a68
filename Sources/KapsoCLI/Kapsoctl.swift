import ArgumentParser
import Foundation

/// The `kapsoctl` root command.
public struct Kapsoctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kapsoctl",
        abstract: "GitOps for Kapso's WhatsApp webhooks: validate, plan and apply a webhooks.yaml.",
        version: "0.1.0",
        subcommands: [Validate.self, PlanCommand.self, ApplyCommand.self, ExportCommand.self, Sim.self]
    )

    public init() {}

    /// Parses the process arguments, runs the command and exits. Usage errors exit 1 (not
    /// ArgumentParser's 64), since the contract gives every command the exit code 1 for any error.
    public static func runMain() async -> Never {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if code == .success { print(message) } else { Console.error(message) }
            }
            Foundation.exit(code == .validationFailure ? 1 : code.rawValue)
        }
    }
}

/// Options shared by every command that reads spec files.
struct SpecOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")],
            help: ArgumentHelp("A spec file, or a directory of *.yaml/*.yml files. Repeatable; default webhooks.yaml.", valueName: "path"))
    var files: [String] = []

    /// The paths to read: the given ones, or `webhooks.yaml`.
    var paths: [String] { files.isEmpty ? ["webhooks.yaml"] : files }
}

/// Where the CLI writes: data to stdout, diagnostics to stderr.
enum Console {
    /// A line on stdout, written at once (not through stdio's buffer).
    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
