import Foundation
import TestSupport
import Testing
@testable import KapsoKit

/// Error-matrix cases whose mistake JSON Schema can express (types, ranges, keys, known events,
/// required keys): the schema must reject each. (`5.0` is an integer to JSON Schema, not to validate.) (`validate` rejects them all; the others need
/// what a schema cannot say — loopback hosts, variables, anchors, merging.)
private let schemaExpressible: Set<String> = [
    "missing version", "version 2", "quoted version", "misspelt top-level key", "configs under platform", "unknown api",
    "phone_numbers under legacy", "top level is a list", "configs is a mapping", "configs missing", "config without id",
    "config id not a UUID", "misspelt config key", "prune yes", "config without webhooks", "config name null",
    "webhook without url", "ftp url", "url with a space", "relative url", "id not a UUID", "empty secret",
    "misspelt event", "malformed extra event", "one-part extra event", "extra events as a string", "project-scope event",
    "duplicate event", "no events", "events as a string", "event as a mapping", "unbufferable buffer event", "window zero",
    "window 61", "buffer size 101", "inactivity 1441", "quoted integer", "huge integer", "active on",
    "quoted boolean", "null boolean", "boolean as a number", "headers as a list", "header name with a space",
    "header value a mapping", "misspelt webhook key", "unknown key without a near match", "platform attribute",
    "url as a default", "misspelt default", "platform without scopes", "phone number id with a plus",
    "phone number without id", "config key under a number", "project event on a number", "number event on the project",
    "misspelt platform event", "unknown kind", "payload version 3", "project under legacy",
]

@Suite struct SpecSchemaTests {
    /// The committed `kapsoctl.schema.json` (which the examples point editors at) is what
    /// `kapsoctl schema` prints today.
    @Test func committedSchemaIsCurrent() throws {
        let committed = try String(contentsOf: repositoryRoot.appendingPathComponent("kapsoctl.schema.json"), encoding: .utf8)
        #expect(committed == SpecSchema.render(), "run: swift run kapsoctl schema > kapsoctl.schema.json")
    }

    /// Every attribute of the table, in both generations' webhooks, with its help.
    @Test func generatedFromTheAttributeTable() throws {
        let schema = SpecSchema.document
        for attribute in Attribute.all {
            let webhook = schema["$defs"]?["platform-number-webhook"]?["properties"]?[attribute.name]
            #expect(webhook?["description"] == .string(attribute.help), "\(attribute.name)")
        }
        for attribute in Attribute.table(for: .legacy) {
            #expect(schema["$defs"]?["legacy-config-webhook"]?["properties"]?[attribute.name] != nil, "\(attribute.name)")
        }
        #expect(schema["$defs"]?["legacy-config-webhook"]?["properties"]?["kind"] == nil)
        #expect(schema["$defs"]?["legacy-defaults"]?["properties"]?["url"] == nil)
    }

    /// A real validator: the schema is valid 2020-12, every example and `webhooks.yaml` pass it,
    /// a spec with `extra_events` passes, and a sample of the error matrix is rejected, each case.
    @Test func realValidatorAgreesWithValidate() async throws {
        guard let tool = checkJSONSchema(packageRoot: repositoryRoot) else {
            Issue.record(Comment(rawValue: missingCheckJSONSchema))
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let schema = dir.appendingPathComponent("schema.json")
        try SpecSchema.render().write(to: schema, atomically: true, encoding: .utf8)

        let extra = dir.appendingPathComponent("extra.yaml")
        try ("extra_events: [whatsapp.message.reacted]\n" + oneWebhook("events: [whatsapp.message.reacted]")).write(to: extra, atomically: true, encoding: .utf8)
        let valid = ["webhooks.yaml", "examples/minimal.yaml", "examples/anchors.yaml", "examples/pinned-and-pruned.yaml",
                     "examples/platform.yaml"].map { repositoryRoot.appendingPathComponent($0).path } + [extra.path]
        let cases = (invalidCases + platformInvalidCases).filter { schemaExpressible.contains($0.name) }
        #expect(cases.count == schemaExpressible.count, "a sampled case was renamed or removed")
        var files: [String: String] = [:]
        for (index, c) in cases.enumerated() {
            let file = dir.appendingPathComponent("case-\(index).yaml")
            try c.yaml.write(to: file, atomically: true, encoding: .utf8)
            files[file.path] = c.name
            // The decoder rejects it too: the sample is of real errors.
            #expect(!diagnostics(c.yaml, environment: c.environment).isEmpty, "\(c.name)")
        }
        // One run for all (a start of the validator is a third of a second): it names each
        // rejected file, and the valid ones never.
        let checked = try await tool.check(["--schemafile", schema.path, "--output-format", "text"] + valid + files.keys.sorted())
        // `--schemafile` checks the schema against its 2020-12 metaschema before any file.
        #expect(!checked.output.contains("schemafile was not valid"), "\(checked.output)")
        #expect(checked.status == 1)
        for (path, name) in files {
            #expect(checked.output.contains("\(path)::"), "the schema accepts '\(name)'")
        }
        for path in valid {
            #expect(!checked.output.contains("\(path)::"), "the schema rejects \(path): \(checked.output)")
        }
    }
}
