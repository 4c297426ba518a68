import ArgumentParser
import KapsoKit

/// `kapsoctl schema`: the spec's JSON Schema, for editors.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the spec file's JSON Schema (2020-12), for editors and schema checkers.",
        discussion: """
        Generated from the attribute table. Point an editor at it with a first line \
        '# yaml-language-server: $schema=./kapsoctl.schema.json' (kapsoctl schema > kapsoctl.schema.json). \
        The schema catches most mistakes as you type; 'kapsoctl validate' is the full check.
        """
    )

    func run() throws {
        Console.output(SpecSchema.render(), terminator: "")
    }
}
