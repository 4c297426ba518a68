import ArgumentParser
import Foundation
import KapsoKit

/// Options of every command that talks to the Kapso API.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp("The API base URL (default: $KAPSO_API_URL, else \(KapsoClient.defaultBaseURL)).", valueName: "url"))
    var apiURL: String?

    @Option(help: "Requests in flight at once (1-64).")
    var parallelism = 8

    @Option(help: "Seconds one request may take.")
    var timeout = 30.0

    @Option(name: .customLong("retry-budget"), help: ArgumentHelp("Seconds one request may spend on retries after 429, 5xx or a dropped connection, waits included.", valueName: "seconds"))
    var retryBudget = RetryPolicy.defaultBudget

    @Flag(help: "Log every request (method, path, status, milliseconds) to stderr; never the key or a body.")
    var verbose = false

    func validate() throws {
        guard (1...64).contains(parallelism) else { throw ValidationError("--parallelism must be between 1 and 64") }
        guard timeout > 0, timeout <= 600 else { throw ValidationError("--timeout must be between 0 and 600 seconds") }
        guard retryBudget >= 0, retryBudget <= 3600 else { throw ValidationError("--retry-budget must be between 0 and 3600 seconds") }
    }

    /// `KAPSO_API_KEY` without surrounding whitespace (a key stored with `echo` ends in a line
    /// break); a key with a control character or space inside is refused, never sent altered.
    static func apiKey(_ environment: [String: String]) throws -> String {
        let key = (environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            Console.error("error: KAPSO_API_KEY is not set (or only whitespace); network commands need the project's API key in it")
            throw ExitCode.failure
        }
        guard key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            Console.error("error: KAPSO_API_KEY contains a space, line break or control character inside the key; set it to the key alone")
            throw ExitCode.failure
        }
        return key
    }

    /// A client for the configured API; errors name what is missing or wrong.
    func makeClient(environment: [String: String]) throws -> KapsoClient {
        let key = try Self.apiKey(environment)
        Console.protect([key])
        let base = apiURL ?? environment["KAPSO_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? KapsoClient.defaultBaseURL
        let url: URL
        do {
            url = try KapsoClient.validateBaseURL(base)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode.failure
        }
        var logger: RequestLogger?
        if verbose {
            logger = { entry in Console.error("kapsoctl: \(entry)") }
        }
        return KapsoClient(baseURL: url, apiKey: key, transport: URLSessionTransport(maxConnectionsPerHost: parallelism),
                           timeout: timeout, retry: RetryPolicy(budget: retryBudget), logger: logger, parallelism: parallelism)
    }
}

/// Options that select and shape a plan (shared by `plan` and `apply`).
struct PlanSelection: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("Limit the run to this config id. Repeatable.", valueName: "id"))
    var configs: [String] = []

    @Flag(help: "Delete server webhooks the spec does not declare, in every config (as if each had 'prune: true').")
    var prune = false

    @Flag(name: .customLong("rotate-secrets"), help: "Send secrets the server does not reveal (they cannot be compared).")
    var rotateSecrets = false

    var options: PlanOptions { PlanOptions(prune: prune, rotateSecrets: rotateSecrets) }
}

/// Spec loading, config selection, reading the server and planning: the shared first half of
/// `plan` and `apply`. Prints diagnostics and throws `ExitCode.failure` on any error.
struct PlanRun {
    var plan: Plan
    var observed: ObservedState
    var state: DesiredState
    /// The spec files of the run, which an output file must not replace.
    var inputFiles: [String]

    /// `settleDuplicates` (apply): a config where a declared URL is found twice is read again a few
    /// times before that fails the run, as a concurrent apply may be removing its copy.
    static func make(spec: SpecOptions, selection: PlanSelection, client: KapsoClient, parallelism: Int,
                     environment: [String: String], settleDuplicates: Bool = false) async throws -> PlanRun {
        var state = try spec.load(environment: environment)
        Console.protect(state.secretValues)
        if !selection.configs.isEmpty {
            let wanted = Set(selection.configs.map { $0.lowercased() })
            let declared = Set(state.configs.map { $0.id.lowercased() })
            let unknown = wanted.subtracting(declared).sorted()
            guard unknown.isEmpty else {
                Console.error(unknown.map { "error: --config \($0) is not declared in \(spec.paths.joined(separator: ", "))" }.joined(separator: "\n"))
                throw ExitCode.failure
            }
            state.configs = state.configs.filter { wanted.contains($0.id.lowercased()) }
        }
        let observed: ObservedState
        switch await StateReader.read(for: state.configs, client: client, parallelism: parallelism,
                                      settleReads: settleDuplicates ? 3 : 0) {
        case .success(let read): observed = read
        case .failure(let failure):
            Console.error(failure.description)
            throw ExitCode.failure
        }
        do {
            let plan = try Planner.plan(state.configs, observed: observed, options: selection.options)
            return PlanRun(plan: plan, observed: observed, state: state, inputFiles: SpecLoader.files(paths: spec.paths))
        } catch {
            Console.error(error.description)
            throw ExitCode.failure
        }
    }
}

extension Console {
    /// True when colour may be used on stdout: a terminal, and `NO_COLOR` unset. Lets the colour
    /// codes through the output's escaping when it is.
    static func colorEnabled(environment: [String: String]) -> Bool {
        let enabled = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil
        if enabled { allowColour() }
        return enabled
    }
}
