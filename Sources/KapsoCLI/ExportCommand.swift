import ArgumentParser
import Foundation
import KapsoKit

/// `kapsoctl export`: the server's current state as a spec file.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the server's webhooks as a spec (secrets as ${VAR} placeholders).",
        discussion: "Exports every config of the project unless --config names some. Exit status: 0 written, 1 on any error."
    )

    @Option(name: .customLong("config"), help: ArgumentHelp("Export only this config id. Repeatable.", valueName: "id"))
    var configs: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @OptionGroup var network: NetworkOptions

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let client = try network.makeClient(environment: environment)
        let known = try await client.listConfigs()
        var selected = known
        if !configs.isEmpty {
            let wanted = configs.map { $0.lowercased() }
            let missing = wanted.filter { id in !known.contains { $0.id.lowercased() == id } }
            guard missing.isEmpty else {
                throw CommandError(lines: missing.map { "error: config \($0) is not among the project's WhatsApp configs" })
            }
            selected = known.filter { wanted.contains($0.id.lowercased()) }
        }
        // Ids go to the server exactly as it lists them (a server may not fold their case).
        let observed = try await StateReader.read(configIDs: selected.map(\.id), client: client, parallelism: network.parallelism).get()
        let export = SpecExporter.export(selected.map { config in
            SpecExporter.Config(id: config.id, name: config.name, webhooks: observed.webhooks[config.id] ?? [])
        }, source: client.baseURL.absoluteString)
        for omission in export.omissions {
            Console.error("warning: not exported, the spec cannot express the server's value: \(omission)")
        }
        if let output {
            try OutputFile.write(export.yaml, to: output)
            let count = observed.webhooks.values.reduce(0) { $0 + $1.count }
            Console.error("Wrote \(output): \(selected.count) config\(selected.count == 1 ? "" : "s"), \(count) webhook\(count == 1 ? "" : "s").")
        } else {
            Console.output(export.yaml, terminator: "")
        }
        if !export.variables.isEmpty {
            Console.error("Set these variables before planning against it: \(export.variables.map(\.name).joined(separator: ", "))")
        }
    }
}
