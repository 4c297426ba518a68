import Foundation
import KapsoSimulator
import Testing
@testable import KapsoKit

/// Thousands of mutated specs (bytes flipped, inserted, cut, slices repeated, YAML punctuation
/// sprinkled) must each load or fail with positioned diagnostics, never crash or hang.
@Suite struct SpecFuzzTests {
    @Test func mutatedSpecsNeverCrash() throws {
        let seeds = try ["webhooks.yaml", "examples/anchors.yaml", "examples/pinned-and-pruned.yaml", "examples/platform.yaml",
                         "examples/minimal.yaml"].map {
            Array(try Data(contentsOf: repositoryRoot.appendingPathComponent($0)))
        }
        let environment = ["ACME_WEBHOOK_SECRET": "a", "ACME_HOOK_TOKEN": "b", "ACME_SALES_SECRET": "c",
                           "EXAMPLE_WEBHOOK_SECRET": "d", "EXAMPLE_API_KEY": "e", "ACME_META_SECRET": "f", "ACME_PROJECT_SECRET": "g"]
        let punctuation = Array("{}[]:,&*!|>'\"#-?%@`\n\t ${}<<".utf8)
        var random = SeededGenerator(seed: 2026)  // the same mutations every run
        var loaded = 0
        for round in 0..<3000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let at = Int.random(in: 0..<max(1, bytes.count), using: &random)
                switch Int.random(in: 0..<6, using: &random) {
                case 0 where !bytes.isEmpty: bytes[at] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.insert(punctuation.randomElement(using: &random)!, at: min(at, bytes.count))
                case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
                case 3 where !bytes.isEmpty:
                    let end = min(bytes.count, at + Int.random(in: 1...200, using: &random))
                    bytes.insert(contentsOf: bytes[at..<end], at: end)
                case 4: bytes = Array(bytes.prefix(at))
                default: bytes.insert(contentsOf: Array("\n  - ".utf8), at: min(at, bytes.count))
                }
            }
            let source = SourceText(path: "fuzz.yaml", bytes: bytes)
            switch outcome([source], environment: environment) {
            case .success:
                loaded += 1
            case .failure(let error):
                #expect(!error.diagnostics.isEmpty)
                for diagnostic in error.diagnostics {
                    #expect(diagnostic.line >= 1 && diagnostic.column >= 1, "\(diagnostic)")
                    _ = diagnostic.rendered()
                }
            }
        }
        // Some mutations are harmless (in comments, or a value still valid).
        #expect(loaded > 0 && loaded < 3000)
    }
}
