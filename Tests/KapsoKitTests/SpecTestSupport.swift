import Foundation
@testable import KapsoKit

/// Loads YAML text as the spec file `spec.yaml`.
func loadSpec(_ yaml: String, environment: [String: String] = [:],
              limits: YAMLLimits = .standard) -> Result<DesiredState, SpecFailure> {
    loadSpecs([("spec.yaml", yaml)], environment: environment, limits: limits)
}

/// Loads several in-memory files, in order.
func loadSpecs(_ files: [(String, String)], environment: [String: String] = [:],
               limits: YAMLLimits = .standard) -> Result<DesiredState, SpecFailure> {
    let sources = files.map { SourceText(path: $0.0, bytes: Array($0.1.utf8)) }
    do {
        return .success(try SpecLoader.load(sources: sources, environment: environment, limits: limits))
    } catch {
        return .failure(error)
    }
}

/// The diagnostics of a spec that must be invalid (empty when it unexpectedly loads).
func diagnostics(_ yaml: String, environment: [String: String] = [:]) -> [SpecDiagnostic] {
    switch loadSpec(yaml, environment: environment) {
    case .success: return []
    case .failure(let failure): return failure.diagnostics
    }
}

/// A config id used throughout the tests.
let configA = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
let configB = "7f3e2d1c-0b9a-4876-9543-21fedcba9876"

/// A valid spec with one webhook whose lines are given (indented under the webhook's `url`).
func oneWebhook(_ lines: String, url: String = "https://hooks.example.com/a") -> String {
    let body = lines.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "" : "        " + $0 }.joined(separator: "\n")
    return """
    version: 1
    configs:
      - whatsapp_config_id: \(configA)
        webhooks:
          - url: \(url)
    \(body)
    """
}

/// Where the repository's files are, for tests that read `examples/` or golden files.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
