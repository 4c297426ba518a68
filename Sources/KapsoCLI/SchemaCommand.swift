import ArgumentParser
import KapsoKit

/// `kapsoctl schema`: the spec's JSON Schema, for editors; or the attribute reference.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the spec file's JSON Schema (2020-12), for editors and schema checkers.",
        discussion: """
        Generated from the attribute table. Point an editor at it with a first line \
        '# yaml-language-server: $schema=./kapsoctl.schema.json' (kapsoctl schema > kapsoctl.schema.json). \
        The schema catches most mistakes as you type; 'kapsoctl validate' is the full check. \
        '--format markdown' prints the attribute and event reference (docs/attributes.md) instead.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, markdown
    }

    @Option(help: "json (the JSON Schema) or markdown (the attribute reference).")
    var format: Format = .json

    func run() throws {
        switch format {
        case .json: Console.output(SpecSchema.render(), terminator: "")
        case .markdown: Console.output(AttributeReference.markdown(), terminator: "")
        }
    }
}
