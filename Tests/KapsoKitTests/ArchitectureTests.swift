import Foundation
import Testing

/// The house as the README draws it: KapsoKit's folders in layers, each using only the ones
/// before it; libyaml behind `YAML/`; files that say what they hold.
@Suite struct ArchitectureTests {
    /// Each folder may use the folders before it (and itself), never one after: Render renders
    /// what Plan, Apply and Verify made; Apply and Verify stand side by side.
    static let layers = ["Support", "Model", "YAML", "Spec", "API", "Plan", "Apply", "Verify", "Health", "Render"]
    static let sideBySide: Set<[String]> = [["Apply", "Verify"]]

    private static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    private static func swiftFiles(under folder: String) -> [(path: String, text: String)] {
        let base = sources.appendingPathComponent(folder)
        let names = FileManager.default.enumerator(atPath: base.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        return names.sorted().compactMap { name in
            (try? String(contentsOf: base.appendingPathComponent(name), encoding: .utf8)).map { (folder + "/" + name, $0) }
        }
    }

    /// The top-level types each KapsoKit folder declares.
    private static func declarations() -> [String: String] {
        var home: [String: String] = [:]
        let declaration = try! Regex(#"(?m)^(?:public |internal |private |fileprivate |final |indirect )*(?:struct|enum|class|protocol|actor|typealias) ([A-Z][A-Za-z0-9]*)"#)
        for layer in layers {
            for file in swiftFiles(under: "KapsoKit/" + layer) {
                for match in file.text.matches(of: declaration) {
                    if let name = match.output[1].substring { home[String(name)] = layer }
                }
            }
        }
        return home
    }

    @Test func noArrowPointsBack() throws {
        let home = Self.declarations()
        #expect(home.count > 100)
        let word = try Regex(#"[A-Z][A-Za-z0-9]*"#)
        var backwards: [String] = []
        for (index, layer) in Self.layers.enumerated() {
            for file in Self.swiftFiles(under: "KapsoKit/" + layer) {
                // Comments may name anything.
                let code = file.text.split(separator: "\n").map { line in line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
                    .joined(separator: "\n")
                var named = Set<String>()
                for match in code.matches(of: word) { named.insert(String(code[match.range])) }
                for name in named.sorted() {
                    guard let other = home[name], other != layer, let otherIndex = Self.layers.firstIndex(of: other) else { continue }
                    if otherIndex > index || Self.sideBySide.contains([layer, other].sorted()) {
                        backwards.append("\(file.path) uses \(name) of \(other)/")
                    }
                }
            }
        }
        #expect(backwards.isEmpty, "\(backwards.joined(separator: "\n"))")
    }

    /// libyaml stays inside `YAML/`: nothing else imports `CYaml`.
    @Test func onlyTheYAMLFolderSpeaksToLibyaml() {
        let files = ["KapsoKit", "KapsoCLI", "KapsoSimulator", "kapsoctl"].flatMap { Self.swiftFiles(under: $0) }
        #expect(files.count > 50)
        let importers = files.filter { $0.text.contains("import CYaml") }.map(\.path)
        #expect(!importers.isEmpty)
        #expect(importers.allSatisfy { $0.hasPrefix("KapsoKit/YAML/") }, "\(importers)")
    }

    /// No source file over 400 lines; a command (KapsoCLI) parses its options and hands one value
    /// to KapsoKit, in at most 180.
    @Test func filesStaySmall() {
        for folder in ["KapsoKit", "KapsoSimulator", "KapsoCLI"] {
            for file in Self.swiftFiles(under: folder) {
                let lines = file.text.split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(lines <= (folder == "KapsoCLI" ? 180 : 400), "\(file.path) has \(lines) lines")
            }
        }
    }
}
