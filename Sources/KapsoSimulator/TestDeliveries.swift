import Foundation
import KapsoKit

/// A test delivery the simulator sent for `POST /whatsapp/webhooks/{id}/test`, as Kapso would.
public struct DeliveryRecord: Sendable, Equatable, Codable {
    public var webhookID: String
    public var event: String
    /// The webhook's URL, credentials masked.
    public var url: String
    /// The receiver's status, when it answered.
    public var status: Int?
    /// Why there is no status: not on loopback (nothing sent), or the transport's failure in words.
    public var failure: String?

    enum CodingKeys: String, CodingKey {
        case event, url, status, failure
        case webhookID = "webhook_id"
    }
}

extension SimulatorStore {
    /// Every test delivery so far, in the order they finished.
    public func deliveries() -> [DeliveryRecord] { deliveryLog }

    /// Waits until `count` test deliveries have finished (or the store is released).
    public func waitForDeliveries(_ count: Int) async {
        if deliveryLog.count >= count { return }
        await withCheckedContinuation { deliveryWaiters.append((count, $0)) }
    }

    /// The test route: the webhook's event (`event_type` when given, which must be one of its
    /// events; else its first), answered at once as queued, then delivered — signed with the
    /// webhook's `secret_key`, by the same builder `kapsoctl verify` uses — when its URL is on
    /// loopback. A URL elsewhere is journalled and never contacted.
    func testRoute(_ place: Place, _ request: SimRequest) -> SimResponse {
        let record = record(at: place)
        var event = record.events.first ?? "whatsapp.message.received"
        if !request.body.isEmpty {
            guard case .object(let fields)? = try? JSONValue.parse(request.body) else {
                return .error(400, "The request body is not valid JSON")
            }
            if let value = fields["event_type"], value != .null {
                guard case .string(let name) = value, record.events.contains(name) else {
                    return .error(422, "event_type must be one of the events the webhook is configured to receive")
                }
                event = name
            }
        }
        let delivery = SampleDelivery(event: event, payloadVersion: record.values[Attribute.payloadVersion.name]?.string ?? "v2",
                                      scope: place.scope, secretKey: record.values[Attribute.secretKey.name]?.string ?? "",
                                      headers: record.values[Attribute.headers.name]?.map ?? [:],
                                      idempotencyKey: UUID().uuidString.lowercased(), time: Date())
        let url = record.url
        let id = record.id
        Task { await self.deliver(delivery, to: url, webhookID: id) }
        return .json(200, .object(["data": .object(["success": .bool(true)])]))
    }

    private func deliver(_ delivery: SampleDelivery, to url: String, webhookID: String) async {
        var entry = DeliveryRecord(webhookID: webhookID, event: delivery.event, url: URLDisplay.masked(url))
        if let refusal = EndpointVerifier.refusal(url, loopbackOnly: true) {
            entry.failure = "not sent: " + refusal
        } else {
            do {
                let request = delivery.request(to: URL(string: url)!, userAgent: "KapsoSimulator")
                entry.status = try await CurlTransport(maxConnectionsPerHost: 1, maxResponseBytes: 1 << 20).send(request).status
            } catch {
                entry.failure = error.description
            }
        }
        deliveryLog.append(entry)
        // Kapso records the test delivery in the webhook's history too.
        let delivered = entry.status.map { (200..<300).contains($0) } ?? false
        recordDelivery(webhookID: webhookID, event: delivery.event, status: delivered ? "delivered" : "failed", responseStatus: entry.status)
        let ready = deliveryWaiters.filter { $0.count <= deliveryLog.count }
        deliveryWaiters.removeAll { $0.count <= deliveryLog.count }
        for waiter in ready { waiter.continuation.resume() }
    }
}
