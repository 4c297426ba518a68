import Foundation
import Testing
@testable import KapsoKit

/// How a spec's bytes are read (from a stream of unknown size, or a file that grows after it was
/// measured) and how the decoder shares the storage of webhooks that repeat one another.
@Suite struct SpecReadTests {
    /// The bytes of `count` bytes written into a pipe, read with `sizeHint` and a limit of 10,000.
    private func readThroughPipe(_ count: Int, sizeHint: Int) throws -> Result<SourceText, SpecDiagnostic> {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { close(fds[0]) }
        // Below the pipe's own buffer (64 KiB): written whole before anything reads.
        let bytes = (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let written = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        try #require(written == count)
        var limits = YAMLLimits.standard
        limits.maxBytes = 10_000
        return SpecLoader.readAll(fds[0], path: "<stdin>", sizeHint: sizeHint, limits: limits)
    }

    /// A stream read in many chunks (no size known, or a size that was too small) arrives whole
    /// and in order, up to the limit; one byte past it is refused in words.
    @Test(arguments: [0, 100, 9_999])
    func aStreamIsReadWholeUpToTheLimit(sizeHint: Int) throws {
        for count in [0, 1, 4_095, 4_096, 4_097, 9_000, 10_000] {
            guard case .success(let source) = try readThroughPipe(count, sizeHint: sizeHint) else {
                Issue.record("\(count) bytes were refused")
                continue
            }
            #expect(source.bytes == (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) }, "\(count) bytes")
        }
        for count in [10_001, 12_000, 60_000] {
            guard case .failure(let problem) = try readThroughPipe(count, sizeHint: sizeHint) else {
                Issue.record("\(count) bytes were accepted over a limit of 10,000")
                continue
            }
            #expect(problem.message == "the file is larger than the limit of 10000 bytes")
        }
    }

    /// Webhooks that differ only in their URL share one storage for the rest; one that differs in
    /// anything else keeps its own value, and changing one webhook's copy changes no other.
    @Test func repeatedWebhooksShareStorageButNotValues() throws {
        let spec = """
            version: 1
            configs:
              - whatsapp_config_id: \(configA)
                webhooks:
                  - {url: "https://hooks.example.com/a", events: [whatsapp.message.received], active: true, inactivity_minutes: 5}
                  - {url: "https://hooks.example.com/b", events: [whatsapp.message.received], active: true, inactivity_minutes: 5}
                  - {url: "https://hooks.example.com/c", events: [whatsapp.message.received], active: true, inactivity_minutes: 6}
                  - {url: "https://hooks.example.com/d", events: [whatsapp.message.received], active: false, inactivity_minutes: 6}
            """
        let state = try loadSpec(spec).get()
        let hooks = try #require(state.configs.first?.webhooks)
        #expect(hooks.map(\.url) == ["https://hooks.example.com/a", "https://hooks.example.com/b", "https://hooks.example.com/c", "https://hooks.example.com/d"])
        #expect(hooks.map { $0.attributes[.active] } == [true, true, true, false])
        #expect(hooks.map { $0.attributes[.inactivityMinutes] } == [5, 5, 6, 6])
        var changed = hooks[1].attributes
        changed[.active] = false
        changed[.url] = "https://hooks.example.com/changed"
        #expect(hooks[0].attributes[.active] == true && hooks[1].attributes[.active] == true)
        #expect(hooks[0].url == "https://hooks.example.com/a" && hooks[1].url == "https://hooks.example.com/b")
        #expect(changed[.active] == false && changed.url == "https://hooks.example.com/changed")
    }
}
