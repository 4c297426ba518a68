import Foundation
@testable import KapsoKit
import Testing

@Suite struct AttributeReferenceTests {
    /// docs/attributes.md is what the attribute table generates: every attribute and every event,
    /// so the reference cannot fall behind the code.
    @Test func theCommittedReferenceIsCurrent() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/attributes.md")
        let committed = try String(contentsOf: file, encoding: .utf8)
        #expect(committed == AttributeReference.markdown(), "run: swift run kapsoctl schema --format markdown > docs/attributes.md")
        for attribute in Attribute.all { #expect(committed.contains("| `\(attribute.name)` |")) }
        for event in EventNames.all { #expect(committed.contains("`\(event)`")) }
    }
}
