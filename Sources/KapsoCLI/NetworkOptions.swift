import ArgumentParser
import Foundation
import KapsoKit

/// Options of every command that talks to the Kapso API.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp("The API base URL (default: $KAPSO_API_URL, else the spec's generation's: \(KapsoClient.defaultBaseURL) or \(KapsoClient.defaultPlatformURL)).", valueName: "url"))
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
    static func apiKey(_ environment: [String: String]) throws(CommandError) -> String {
        let key = (environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw CommandError("error: KAPSO_API_KEY is not set (or only whitespace); network commands need the project's API key in it")
        }
        guard key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw CommandError("error: KAPSO_API_KEY contains a space, line break or control character inside the key; set it to the key alone")
        }
        return key
    }

    /// A client for the configured API — by default `api`'s base URL; errors name what is missing or wrong.
    func makeClient(environment: [String: String], api: APIGeneration) throws -> KapsoClient {
        let key = try Self.apiKey(environment)
        Console.protect([key])
        let base = apiURL ?? environment["KAPSO_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? KapsoClient.defaultBaseURL(for: api)
        let url = try KapsoClient.validateBaseURL(base)
        let verbose = verbose
        let logger: RequestLogger = { entry in
            if verbose { Console.error("kapsoctl: \(entry)") }
            Progress.observe(entry)
        }
        let trust = try CurlTransport.Trust.from(environment: environment)
        return KapsoClient(baseURL: url, apiKey: key, transport: CurlTransport(maxConnectionsPerHost: parallelism, trust: trust),
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

/// `--no-color`, on the commands that print a text plan.
struct ColorOptions: ParsableArguments {
    @Flag(name: .customLong("no-color"), help: "No colour in the text output, even on a terminal (as NO_COLOR does).")
    var noColor = false

    /// True when colour may be used on stdout: a terminal, `NO_COLOR` unset and no `--no-color`.
    func enabled(_ environment: [String: String]) -> Bool {
        !noColor && Console.colorEnabled(environment: environment)
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
