import ArgumentParser
import Foundation
import KapsoKit

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
        // A closed stdout must be an error the command reports (EPIPE), not a silent death by SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        var code: Int32 = 0
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let exit = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if exit == .success { Console.output(message) } else { Console.error(message) }
            }
            code = exit == .validationFailure ? 1 : exit.rawValue
        }
        let (failure, serverWritten) = Console.finishOutput()
        if let failure {
            Console.error("error: cannot write to standard output: \(failure)")
            // After apply has written to the server its exit code says what was written; otherwise
            // a lost output is a failed run.
            if !serverWritten { code = 1 }
        }
        Foundation.exit(code)
    }
}

/// Options shared by every command that reads spec files.
struct SpecOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")],
            help: ArgumentHelp("A spec file, or a directory of *.yaml/*.yml files. Repeatable; default webhooks.yaml.", valueName: "path"))
    var files: [String] = []

    /// The paths to read: the given ones, or `webhooks.yaml`.
    var paths: [String] { files.isEmpty ? ["webhooks.yaml"] : files }

    /// Loads the spec; prints every problem (and, when the default file is missing, how to name
    /// another or start one) and fails.
    func load(environment: [String: String]) throws -> DesiredState {
        do {
            return try SpecLoader.load(paths: paths, environment: environment)
        } catch {
            Console.error(error.rendered())
            if files.isEmpty && !FileManager.default.fileExists(atPath: "webhooks.yaml") {
                Console.error("hint: kapsoctl reads webhooks.yaml in the working directory unless -f names a spec file or directory; to start one from the server: kapsoctl export -o webhooks.yaml")
            }
            throw ExitCode.failure
        }
    }
}
