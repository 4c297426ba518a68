import Foundation
import Testing
@testable import KapsoKit

/// The deliveries `kapsoctl verify` and the simulator's test route send.
@Suite struct SampleDeliveryTests {
    private let time = Date(timeIntervalSince1970: 1_800_000_000)

    /// The signature is HMAC-SHA256 as RFC 4231 defines it (test case 2), in lowercase hex.
    @Test func signatureIsHMACSHA256() {
        #expect(SampleDelivery.signature(of: Array("what do ya want for nothing?".utf8), secretKey: "Jefe")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// Kapso's headers first, in a fixed order, then the webhook's own (sorted); a webhook header
    /// cannot replace one of Kapso's. Signed, wrongly signed and unsigned share the body.
    @Test func headersAndSigning() {
        let custom = ["X-Team": "support", "x-webhook-signature": "forged", "Content-Type": "text/plain", "Authorization": "Bearer t"]
        let signed = SampleDelivery(event: "whatsapp.message.sent", payloadVersion: "v2", scope: .phoneNumber("1234567890"), secretKey: "s3cret",
                                    headers: custom, idempotencyKey: "key-1", time: time)
        #expect(signed.headers.map(\.name) == ["Content-Type", "X-Webhook-Event", "X-Webhook-Signature", "X-Idempotency-Key",
                                               "X-Webhook-Payload-Version", "X-Webhook-Test", "Authorization", "X-Team"])
        #expect(signed.headers.first { $0.name == "Content-Type" }?.value == "application/json")
        #expect(signed.signature == SampleDelivery.signature(of: signed.body, secretKey: "s3cret"))
        let wrong = SampleDelivery(event: "whatsapp.message.sent", payloadVersion: "v2", scope: .phoneNumber("1234567890"), secretKey: "s3cret",
                                   headers: [:], idempotencyKey: "key-2", time: time, signing: .wrong)
        #expect(wrong.body == signed.body && wrong.signature != signed.signature && wrong.signature?.count == 64)
        let unsigned = SampleDelivery(event: "whatsapp.message.sent", payloadVersion: "v2", scope: .phoneNumber("1234567890"), secretKey: "s3cret",
                                      headers: [:], idempotencyKey: "key-3", time: time, signing: .none)
        #expect(unsigned.signature == nil && !unsigned.headers.contains { $0.name == "X-Webhook-Signature" })
    }

    /// Every event of either scope, in both payload versions, has a JSON object body, the same bytes
    /// for the same time, and the scope's ids.
    @Test func everyEventHasABody() throws {
        for event in EventNames.all + ["acme.custom.event"] {
            for version in ["v1", "v2"] {
                let make = { SampleDelivery(event: event, payloadVersion: version, scope: .phoneNumber("1234567890"), secretKey: "s",
                                            headers: [:], idempotencyKey: "k", time: self.time) }
                let body = try JSONValue.parse(Data(make().body))
                guard case .object(let object) = body else {
                    Issue.record("\(event) \(version): not an object")
                    continue
                }
                #expect(!object.isEmpty)
                #expect(make().body == make().body)
            }
        }
        let v2 = try JSONValue.parse(Data(SampleDelivery(event: "whatsapp.message.received", payloadVersion: "v2", scope: .phoneNumber("1234567890"),
                                                         secretKey: "s", headers: [:], idempotencyKey: "k", time: time).body))
        #expect(v2["phone_number_id"] == "1234567890" && v2["message"]?["kapso"]?["direction"] == "inbound")
        #expect(v2["message"]?["timestamp"] == "1800000000")
        let v1 = try JSONValue.parse(Data(SampleDelivery(event: "whatsapp.message.failed", payloadVersion: "v1", scope: .config("4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"),
                                                         secretKey: "s", headers: [:], idempotencyKey: "k", time: time).body))
        #expect(v1["whatsapp_config"]?["id"] == "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d" && v1["message"]?["status"] == "failed")
    }
}
