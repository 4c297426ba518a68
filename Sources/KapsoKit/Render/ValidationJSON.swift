/// `validate --format json`: one versioned document on stdout, valid or not. Each diagnostic has
/// its file, line and column (0 and 0 when it concerns the whole file), severity and message;
/// a valid spec adds what it declares. No secret: diagnostics never hold one.
public enum ValidationJSON {
    public static let formatVersion = 1

    /// The report of a spec that loaded (`state`), or of one that did not (`state` nil).
    public static func render(paths: [String], state: DesiredState?, diagnostics: [SpecDiagnostic]) -> String {
        var document: [String: JSONValue] = [
            "kind": .string("kapsoctl-validate"),
            "format_version": .int(formatVersion),
            "files": .array(paths.map { .string($0 == SpecLoader.standardInput ? SpecLoader.standardInputName : $0) }),
            "valid": .bool(state != nil),
            "diagnostics": .array(diagnostics.map { diagnostic in
                .object([
                    "file": .string(diagnostic.file),
                    "line": .int(diagnostic.line),
                    "column": .int(diagnostic.column),
                    "severity": .string(diagnostic.severity.rawValue),
                    "message": .string(diagnostic.message),
                ])
            }),
        ]
        if let state {
            document["api"] = .string(state.api.rawValue)
            document["summary"] = .object([
                "scopes": .int(state.configs.count),
                "webhooks": .int(state.webhookCount),
            ])
        }
        return String(decoding: JSONValue.object(document).pretty(), as: UTF8.self)
    }
}
