import ArgumentParser
import Foundation
import KapsoKit

extension APIGeneration: ExpressibleByArgument {}

/// `kapsoctl export`: the server's current state as a spec file.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the server's webhooks as a spec (secrets as ${VAR} placeholders).",
        discussion: """
        Exports every config of the project (legacy API), or every phone number and the project's own \
        webhooks (--api platform), unless --config names some. Exit status: 0 written, 1 on any error.
        """
    )

    @Option(help: "The API generation to export: legacy (WhatsApp configs) or platform (phone numbers and the project).")
    var api: APIGeneration = .legacy

    @Option(name: .customLong("config"), help: ArgumentHelp("Export only this config id (legacy), or phone number id or 'project' (platform). Repeatable.", valueName: "id"))
    var configs: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"),
            completion: .file())
    var output: String?

    @Option(name: .customLong("env-template"), help: ArgumentHelp("Also write the variables the export reads as NAME= lines (no values), to fill in.", valueName: "file"),
            completion: .file())
    var envTemplate: String?

    @OptionGroup var network: NetworkOptions

    func validate() throws {
        if let envTemplate, let output, envTemplate == output {
            throw ValidationError("--env-template and --output name the same file")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let client = try network.makeClient(environment: environment, api: api)
        // Ids go to the server exactly as it lists them (a server may not fold their case).
        // The project's numbers are read once: here, and handed to the state read.
        let numbers: [PhoneNumber]? = api == .platform ? try await client.listPhoneNumbers() : nil
        let known: [(scope: WebhookScope, name: String?)] = switch api {
        case .legacy: try await client.listConfigs().map { (.config($0.id), $0.name) }
        case .platform: (numbers ?? []).map { (.phoneNumber($0.phoneNumberID), $0.name) } + [(.project, nil)]
        }
        var selected = known
        if !configs.isEmpty {
            func key(_ scope: WebhookScope) -> String { scope.id?.lowercased() ?? "project" }
            let wanted = configs.map { $0.lowercased() }
            let missing = wanted.filter { id in !known.contains { key($0.scope) == id } }
            guard missing.isEmpty else {
                throw CommandError(lines: missing.map {
                    api == .legacy ? "error: config \($0) is not among the project's WhatsApp configs"
                        : "error: phone number \($0) is not among the project's phone numbers"
                })
            }
            selected = known.filter { wanted.contains(key($0.scope)) }
        }
        Progress.start(environment: environment)
        let observed = try await StateReader.read(scopes: selected.map(\.scope), client: client, parallelism: network.parallelism,
                                                  numbers: numbers).get()
        Progress.stop()
        let exported = selected.map { SpecExporter.Config(scope: $0.scope, name: $0.name, webhooks: observed.webhooks[$0.scope] ?? []) }
            // The project block is written when it has webhooks (or was asked for).
            .filter { $0.scope != .project || !$0.webhooks.isEmpty || !configs.isEmpty }
        let export = SpecExporter.export(exported, source: client.baseURL.absoluteString)
        for omission in export.omissions {
            Console.error("warning: not exported, the spec cannot express the server's value: \(omission)")
        }
        if let envTemplate {
            try OutputFile.write(Self.template(export), to: envTemplate)
            Console.error("Wrote \(envTemplate): \(export.variables.count) variable\(export.variables.count == 1 ? "" : "s") to fill in.")
        }
        if let output {
            try OutputFile.write(export.yaml, to: output)
            let count = exported.reduce(0) { $0 + $1.webhooks.count }
            let noun = api == .legacy ? "config" : "scope"
            Console.error("Wrote \(output): \(exported.count) \(noun)\(exported.count == 1 ? "" : "s"), \(count) webhook\(count == 1 ? "" : "s").")
        } else {
            Console.output(export.yaml, terminator: "")
        }
        if !export.variables.isEmpty {
            Console.error("Set these variables before planning against it: \(export.variables.map(\.name).joined(separator: ", "))")
        }
    }

    /// `NAME=` lines, each under a comment saying what it holds: a dotenv file to fill in (the
    /// values are never written; they are secrets).
    static func template(_ export: SpecExporter.Export) -> String {
        var lines = ["# Variables read by the exported spec; fill in each value (the server's secrets are not exported).",
                     "# Keep it out of git; use it with --env-file (kapsoctl plan --env-file FILE). An empty value counts as unset."]
        for variable in export.variables {
            lines.append("# \(HumanText.escape(variable.purpose))")
            lines.append("\(variable.name)=")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
