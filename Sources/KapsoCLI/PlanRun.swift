import ArgumentParser
import KapsoKit

/// Spec loading, config selection, reading the server and planning: the shared first half of
/// `plan` and `apply`. Throws each area's own error.
struct PlanRun {
    var plan: Plan
    var observed: ObservedState
    /// The client for the spec's API generation (its default URL follows `api:`).
    var client: KapsoClient
    /// The spec files of the run, which an output file must not replace.
    var inputFiles: [String]
    /// The spec files' bytes as they were read (a saved plan fingerprints them).
    var sources: [SpecSource]

    /// Keeps the configs `--config` names (a config id in any case, a phone number's id, or
    /// `project`); all when none is named. An id the spec does not declare is an error.
    static func select(_ state: inout DesiredState, configs: [String], spec: SpecOptions) throws(CommandError) {
        guard !configs.isEmpty else { return }
        func key(_ scope: WebhookScope) -> String { scope.id?.lowercased() ?? "project" }
        let wanted = Set(configs.map { $0.lowercased() })
        let declared = Set(state.configs.map { key($0.scope) })
        let unknown = wanted.subtracting(declared).sorted()
        guard unknown.isEmpty else {
            throw CommandError(lines: unknown.map { "error: --config \($0) is not declared in \(spec.paths.joined(separator: ", "))" })
        }
        state.configs = state.configs.filter { wanted.contains(key($0.scope)) }
    }

    /// `settleDuplicates` (apply): a config where a declared URL is found twice is read again a few
    /// times before that fails the run, as a concurrent apply may be removing its copy.
    static func make(spec: SpecOptions, selection: PlanSelection, network: NetworkOptions,
                     environment: [String: String], settleDuplicates: Bool = false) async throws -> PlanRun {
        try await make(spec: spec, configs: selection.configs, options: selection.options, network: network,
                       environment: environment, settleDuplicates: settleDuplicates)
    }

    static func make(spec: SpecOptions, configs: [String], options: PlanOptions, network: NetworkOptions,
                     environment: [String: String], settleDuplicates: Bool = false) async throws -> PlanRun {
        var state = try spec.load(environment: environment)
        Console.protect(state.secretValues)
        let client = try network.makeClient(environment: environment, api: state.api)
        try select(&state, configs: configs, spec: spec)
        Progress.start(environment: environment)
        defer { Progress.stop() }
        let observed = try await SettledRead.read(for: state.configs, client: client, parallelism: network.parallelism,
                                                  settleReads: settleDuplicates ? 3 : 0).get()
        // Masked before any renderer escapes it (see Plan.masked).
        let plan = try Planner.plan(state.configs, observed: observed, options: options)
            .masked(Redactor(Array(state.secretValues) + [(try? NetworkOptions.apiKey(environment)) ?? ""]))
        // Needed to the end, as the spec is: freed by the exit, not webhook by webhook.
        UntilExit.keep(observed)
        UntilExit.keep(plan)
        return PlanRun(plan: plan, observed: observed, client: client, inputFiles: SpecLoader.files(paths: spec.paths),
                       sources: state.sources)
    }
}

