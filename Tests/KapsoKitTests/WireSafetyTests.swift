import Foundation
import Testing
import TestSupport
@testable import KapsoKit

/// Text from a spec or the environment never puts a line of its own on the wire: the spec
/// refuses it at its place, and the transport refuses it again.
@Suite struct WireSafetyTests {
    @Test(arguments: ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\u{0}b", "a\u{0B}b", "a\u{7F}b", "a\u{85}b"])
    func theTransportRefusesControlCharacters(_ value: String) async throws {
        let server = try RawHTTPServer(mode: .closeAfter(1)) { _ in RawResponse(status: 200) }
        defer { server.stop() }
        let transport = CurlTransport()
        var request = HTTPRequestData(method: "POST", url: server.origin.appendingPathComponent("hook"), headers: ["X-Value": value], body: Data("{}".utf8))
        if value.unicodeScalars.contains(where: { $0.value >= 0x80 }) {
            // C1 controls are the spec's to refuse (they are not CR or LF on the wire).
            request.headers = ["X\r\nInjected": "1"]
        }
        await #expect(throws: TransportFailure.self) { _ = try await transport.send(request) }
        do {
            _ = try await transport.send(request)
        } catch {
            guard case .refused = error else { Issue.record("\(error)"); return }
        }
        #expect(server.requests == 0)
        // A tab is a header value's own character; the request goes.
        let fine = HTTPRequestData(method: "GET", url: server.origin.appendingPathComponent("ok"), headers: ["X-Value": "a\tb"])
        #expect(try await transport.send(fine).status == 200)
    }

    @Test(arguments: ["\"a\\r\\nX-Evil: 1\"", "\"a\\nb\"", "\"a\\x0bb\"", "\"a\\u0085b\"", "\"${INJECT}\""])
    func theSpecRefusesThemAtTheirPlace(_ written: String) {
        let spec = "version: 1\ndefaults:\n  headers:\n    X-D: \(written)\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n      - {url: https://a.example.com/x, secret_key: s3cretvalue, events: [whatsapp.message.received]}\n"
        let messages = diagnostics(spec, environment: ["INJECT": "x\r\nX-Injected: yes"]).map(\.description)
        #expect(messages == ["spec.yaml:4:10: error: header 'X-D' must not contain line breaks or other control characters (a line break would add a header of its own to every delivery)"], "\(messages)")
    }
}
