import Foundation
import Testing

/// Compares `actual` with the golden file `Golden/<name>` next to the calling test file. A missing
/// file, or any file when `KAPSOCTL_RECORD_GOLDEN=1`, is recorded and the test fails, so a new
/// recording never passes silently.
public func expectGolden(_ actual: String, named name: String, filePath: String = #filePath,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    let url = URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
    let recording = ProcessInfo.processInfo.environment["KAPSOCTL_RECORD_GOLDEN"] == "1"
    guard !recording, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        Issue.record("recorded golden file \(name); check it and run the tests again", sourceLocation: sourceLocation)
        return
    }
    #expect(actual == expected, "output differs from Golden/\(name)", sourceLocation: sourceLocation)
}
