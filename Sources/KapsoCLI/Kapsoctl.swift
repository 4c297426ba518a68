import ArgumentParser
import Foundation
import Synchronization
import KapsoKit

/// The `kapsoctl` root command.
public struct Kapsoctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kapsoctl",
        abstract: "GitOps for Kapso's WhatsApp webhooks: validate, plan and apply a webhooks.yaml.",
        version: KapsoctlVersion.current,
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, ShowCommand.self, StatusCommand.self, ExportCommand.self, VerifyCommand.self, SchemaCommand.self, SimCommand.self]
    )

    public init() {}

    /// Parses the process arguments, runs the command and exits: the one place where errors are
    /// reported. A ``ReportedError`` (every area's own error type) prints its report and exits 1;
    /// usage errors exit 1 too (not ArgumentParser's 64), since the contract gives every command
    /// the exit code 1 for any error; `ExitCode` carries the other documented codes (2, 3).
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
        } catch let error as any ReportedError {
            if Console.annotating {
                for line in annotations(for: error) { Console.command(line) }
            }
            Console.error(error.report)
            code = 1
        } catch {
            let exit = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                if exit == .success { Console.output(message) } else { Console.error(message) }
            }
            code = exit == .validationFailure ? 1 : exit.rawValue
        }
        Progress.stop()
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

/// An error as workflow commands: one per spec diagnostic, at its file and position; one for any
/// other error.
func annotations(for error: any ReportedError) -> [String] {
    let diagnostics: [SpecDiagnostic]? = switch error {
    case let error as SpecLoadError: error.failure.diagnostics
    case let error as SpecFailure: error.diagnostics
    default: nil
    }
    guard let diagnostics else {
        let message = error.report.hasPrefix("error: ") ? String(error.report.dropFirst(7)) : error.report
        return [WorkflowCommands.annotation(.error, message, title: "kapsoctl")]
    }
    return diagnostics.map(WorkflowCommands.annotation)
}

/// Options shared by every command that reads spec files.
struct SpecOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")],
            help: ArgumentHelp("A spec file, a directory of *.yaml/*.yml files, or - for standard input. Repeatable; default webhooks.yaml.", valueName: "path"),
            completion: .file(extensions: ["yaml", "yml"]))
    var files: [String] = []

    @Option(name: .customLong("env-file"),
            help: ArgumentHelp("Read variables for ${VAR} from this dotenv file (as 'export --env-template' writes it). Repeatable; the environment wins over the file.", valueName: "file"),
            completion: .file())
    var envFiles: [String] = []

    @Option(name: .customLong("var"),
            help: ArgumentHelp("A variable that is not secret, for ${NAME}: substituted as if written in the spec and shown in plans (config ids, hosts). Repeatable; wins over the environment.", valueName: "NAME=VALUE"))
    var vars: [String] = []

    @Option(name: .customLong("var-file"),
            help: ArgumentHelp("Plain variables from a dotenv file (one environment's ids and hosts). Repeatable; --var wins over it.", valueName: "file"),
            completion: .file())
    var varFiles: [String] = []

    func validate() throws {
        if files.filter({ $0 == SpecLoader.standardInput }).count > 1 {
            throw ValidationError("-f - reads standard input, which can be read once; give it once")
        }
        if (envFiles + varFiles).contains(SpecLoader.standardInput) {
            throw ValidationError("--env-file - and --var-file - are not supported: give the file's path")
        }
        for item in vars {
            guard let equals = item.firstIndex(of: "="), EnvFile.isName(String(item[..<equals])) else {
                throw ValidationError("--var '\(item.prefix(60))' is not NAME=VALUE (a name of letters, digits and _)")
            }
            if let refusal = EnvFile.plainRefusal(String(item[..<equals])) { throw ValidationError("--var: \(refusal)") }
        }
    }

    /// The plain variables: the files' (a later over an earlier), then `--var`s over them.
    func plainVariables() throws(SpecFailure) -> [String: String] {
        var merged = try Self.read(varFiles, for: .plainVariables)
        for item in vars {
            let equals = item.firstIndex(of: "=")!
            merged[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return merged
    }

    /// The process environment over the env files' variables. Every value a file gives is a
    /// secret: masked in every output from here on.
    func environment() throws(SpecFailure) -> [String: String] {
        var merged = try Self.read(envFiles, for: .secrets)
        Console.protect(merged.values)
        merged.merge(ProcessInfo.processInfo.environment) { $1 }
        return merged
    }

    /// The variables of dotenv files, a later file over an earlier one; every problem of every file.
    /// In a secrets file an empty value is a line of `export --env-template` not filled in yet:
    /// unset, so it sets nothing (not even over an earlier file).
    private static func read(_ paths: [String], for purpose: EnvFile.Purpose) throws(SpecFailure) -> [String: String] {
        var merged: [String: String] = [:]
        var problems: [SpecDiagnostic] = []
        for path in paths {
            switch EnvFile.load(path, for: purpose) {
            case .success(let variables): merged.merge(purpose == .secrets ? variables.filter { !$0.value.isEmpty } : variables) { $1 }
            case .failure(let failure): problems += failure.diagnostics
            }
        }
        guard problems.isEmpty else { throw SpecFailure(problems) }
        return merged
    }

    /// The paths to read: the given ones, or `webhooks.yaml`.
    var paths: [String] { files.isEmpty ? ["webhooks.yaml"] : files }

    /// Loads the spec, or fails with every problem of every file.
    func load(environment: [String: String], unsetVariables: UnsetVariables = .error) throws(SpecLoadError) -> DesiredState {
        do {
            let state = try SpecLoader.load(paths: paths, environment: environment, plainVariables: plainVariables(), unsetVariables: unsetVariables)
            UntilExit.keep(state)
            return state
        } catch {
            throw SpecLoadError(failure: error, defaultFileMissing: files.isEmpty && !FileManager.default.fileExists(atPath: "webhooks.yaml"))
        }
    }
}

/// What a command holds until the process exits. A spec, the server's webhooks and the plan are
/// made once per run and are needed to the end; held here, their (perhaps 50,000) webhooks are
/// not taken apart one by one when the command returns: the process's exit frees them at once.
enum UntilExit {
    private static let kept = Mutex<[any Sendable]>([])

    static func keep(_ value: some Sendable) {
        kept.withLock { $0.append(value) }
    }
}
