import Foundation
import Testing
import TestSupport
@testable import KapsoKit

/// The verifier's cut at its deadline, proved in a fraction of a second (the deadline is Kapso's
/// 10 s in use; a parameter here).
@Suite struct EndpointVerifierTests {
    @Test func aLateReceiverIsCutAtTheDeadline() async throws {
        let late = try RawHTTPServer(mode: .closeAfter(1)) { _ in
            try? await Task.sleep(for: .seconds(1))  // deliberate delay: a receiver slower than the deadline
            return RawResponse(status: 200)
        }
        defer { late.stop() }
        let target = VerifyTarget(scope: .config("4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"), displayURL: "http://127.0.0.1/slow",
                                  url: late.origin.absoluteString + "/slow", event: "whatsapp.message.received", payloadVersion: "v2",
                                  secretKey: "s3cret", headers: [:])
        let verifier = EndpointVerifier(transport: CurlTransport(), limit: 1,
                                        policy: DeliveryPolicy(allowedHosts: [DeliveryPolicy.HostPattern("127.0.0.1")!], allowPrivateAddresses: true),
                                        deadline: 0.3)
        let report = try #require(await verifier.verify([target], probe: true).first)
        // Cut: no answer in time, though the receiver would have answered 200 (no wall-clock bound:
        // a loaded machine may start the request late, never time it out early).
        guard case .failed(.timedOut, let milliseconds) = report.delivery else {
            Issue.record("\(report.delivery)")
            return
        }
        #expect(milliseconds >= 250)
        #expect(report.lines == ["failed: no answer within 0.3 s: Kapso gives up on a delivery after 0.3 s and retries after 10 s, 40 s and 90 s"])
        #expect(report.wrongSignature == nil, "no probe after a failed delivery")
    }

    /// In use the deadline is Kapso's, and the words say so.
    @Test func theWordsOfKapsosDeadline() {
        let target = VerifyTarget(scope: .project, displayURL: "https://a.example.com/x", url: "https://a.example.com/x",
                                  event: "whatsapp.message.received", payloadVersion: "v2", secretKey: "s", headers: [:])
        let report = EndpointReport(target: target, delivery: .failed(.timedOut, milliseconds: 10_000))
        #expect(report.lines == ["failed: no answer within 10 s: Kapso gives up on a delivery after 10 s and retries after 10 s, 40 s and 90 s"])
        #expect(EndpointVerifier.deadline == 10)
    }
}
