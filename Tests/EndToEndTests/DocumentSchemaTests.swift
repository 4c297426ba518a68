import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// The JSON documents kapsoctl prints have schemas in `schemas/`, one file per format version
/// (`plan.v2.schema.json`: the plan document's `format_version` 2). Real documents — a legacy and a
/// Platform plan with every action, apply reports with writes done and failed, validate's report
/// of a valid spec and of an invalid one — pass them (check-jsonschema), a document of another
/// format version is refused, and each schema's version is the renderer's.
@Suite struct DocumentSchemaTests {
    private func schema(_ name: String) -> URL { packageRoot.appendingPathComponent("schemas/\(name)") }

    @Test func documentsPassTheirSchemas() async throws {
        guard let tool = checkJSONSchema(packageRoot: packageRoot) else {
            Issue.record(Comment(rawValue: missingCheckJSONSchema))
            return
        }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var documents: [String: [String]] = ["plan.v2.schema.json": [], "apply-report.v1.schema.json": [], "validate.v1.schema.json": []]
        /// Kept for the check; a document that is not JSON (a run that failed) fails here.
        @discardableResult
        func keep(_ text: String, as name: String, for schema: String) throws -> JSONValue {
            let document = try JSONValue.parse(Data(text.utf8))
            let file = dir.appendingPathComponent(name)
            try text.write(to: file, atomically: true, encoding: .utf8)
            documents[schema, default: []].append(file.path)
            return document
        }
        try await withScenario { _, work, env in
            try keep(try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: work).stdout, as: "legacy-plan.json", for: "plan.v2.schema.json")
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--format", "json", "--report", "report.json"], environment: env, directory: work)
            #expect(apply.status == 0, "\(apply.stderr)")
            try keep(apply.stdout, as: "legacy-apply.json", for: "apply-report.v1.schema.json")
            #expect(try String(contentsOf: work.appendingPathComponent("report.json"), encoding: .utf8) == apply.stdout)
            try keep(try await runKapsoctl(["validate", "--format", "json"], environment: env, directory: work).stdout, as: "valid.json", for: "validate.v1.schema.json")
        }
        var faults = FaultPlan()
        faults.dropBeforeWriteFirst = 2
        try await withScenario(seed: platformSeed(), spec: platformSpec, faults: faults) { _, work, env in
            let env = platformEnvironment(env)
            let plan = try keep(try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: work).stdout, as: "platform-plan.json", for: "plan.v2.schema.json")
            #expect(plan["summary"]?["replace"] == .int(1) && plan["summary"]?["unmanaged"] == .int(1), "\(plan)")
            let failed = try await runKapsoctl(["apply", "--auto-approve", "--format", "json", "--retry-budget", "0"], environment: env, directory: work)
            #expect(failed.status != 0, "\(failed.stderr)")
            let report = try keep(failed.stdout, as: "platform-apply.json", for: "apply-report.v1.schema.json")
            #expect(report["exit_code"] == .int(3) && report["summary"]?["done"] != .int(0), "\(report)")
        }
        let invalid = try await runKapsoctl(["validate", "--format", "json", "-f", "-"], input: Data("version: 2\nconfigs: [\n".utf8))
        #expect(invalid.status == 1)
        try keep(invalid.stdout, as: "invalid.json", for: "validate.v1.schema.json")
        // Another format version is refused: the check can fail.
        try keep(#"{"format_version": 3, "summary": {}, "changes": []}"#, as: "future-plan.json", for: "plan.v2.schema.json")

        for (name, files) in documents.sorted(by: { $0.key < $1.key }) {
            let result = try await tool.check(["--schemafile", schema(name).path, "--output-format", "text"] + files)
            for file in files {
                let refused = result.output.contains("\(file)::")
                #expect(refused == file.hasSuffix("future-plan.json"), "\(name): \(file)\n\(result.output)")
            }
        }
    }

    @Test func schemaVersionsAreTheRenderers() throws {
        for (name, version) in [("plan.v2.schema.json", JSONRenderer.formatVersion), ("apply-report.v1.schema.json", ApplyReport.jsonFormatVersion),
                                ("validate.v1.schema.json", ValidationJSON.formatVersion), ("status.v1.schema.json", HealthReport.jsonFormatVersion)] {
            let document = try JSONValue.parse(Data(contentsOf: schema(name)))
            #expect(document["properties"]?["format_version"]?["const"] == .int(version), "\(name)")
            #expect(name.contains(".v\(version)."), "\(name)")
        }
    }
}
