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
    outcome(files.map { SourceText(path: $0.0, bytes: Array($0.1.utf8)) }, environment: environment, limits: limits)
}

/// `SpecLoader.load` as a result.
func outcome(_ sources: [SourceText], environment: [String: String], limits: YAMLLimits = .standard,
             unsetVariables: UnsetVariables = .error) -> Result<DesiredState, SpecFailure> {
    do {
        return .success(try SpecLoader.load(sources: sources, environment: environment, unsetVariables: unsetVariables, limits: limits))
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

/// A Platform spec with one webhook of phone number 1234567890 (its `url` on line 6), followed by
/// `lines` (its other keys, from line 7).
func onePlatformWebhook(_ lines: String, url: String = "https://hooks.example.com/a") -> String {
    let body = lines.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "" : "        " + $0 }.joined(separator: "\n")
    return """
    version: 1
    api: platform
    phone_numbers:
      - phone_number_id: "1234567890"
        webhooks:
          - url: \(url)
    \(body)
    """
}

/// A Platform spec with one project webhook (its `url` on line 5), followed by `lines` (from line 6).
func oneProjectWebhook(_ lines: String) -> String {
    let body = lines.split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "" : "      " + $0 }.joined(separator: "\n")
    return """
    version: 1
    api: platform
    project:
      webhooks:
        - url: https://ops.example.com/project
    \(body)
    """
}
