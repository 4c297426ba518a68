import ArgumentParser
import KapsoKit
import KapsoSimulator

/// A refusal or failure of the CLI itself (a flag that names nothing, no terminal to confirm on,
/// the delete guard, a file that cannot be written): its lines, reported once by `runMain`.
struct CommandError: ReportedError {
    var lines: [String]

    init(_ lines: String...) {
        self.lines = lines
    }

    init(lines: [String]) {
        self.lines = lines
    }

    var report: String { lines.joined(separator: "\n") }
}

/// The spec could not be loaded; when the default file is missing, says how to name another.
struct SpecLoadError: ReportedError {
    var failure: SpecFailure
    var defaultFileMissing: Bool

    var report: String {
        failure.rendered() + (defaultFileMissing
            ? "\nhint: kapsoctl reads webhooks.yaml in the working directory unless -f names a spec file or directory; to start one from the server: kapsoctl export -o webhooks.yaml"
            : "")
    }
}

extension SpecFailure: ReportedError {
    public var report: String { rendered() }
}

extension APIError: ReportedError {
    public var report: String { "error: \(description)" }
}

extension ClientConfigurationError: ReportedError {
    public var report: String { "error: \(message)" }
}

extension OutputFile.Failure: ReportedError {
    var report: String { "error: \(description)" }
}

extension SeedError: ReportedError {
    public var report: String { "error: \(self)" }
}
