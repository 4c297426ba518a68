import Foundation

/// One declared webhook to send a sample delivery to.
public struct VerifyTarget: Sendable {
    public var scope: WebhookScope
    /// The URL as outputs show it (``DesiredWebhook/displayURL``).
    public var displayURL: String
    public var url: String
    public var event: String
    public var payloadVersion: String
    public var secretKey: String
    public var headers: [String: String]

    public init(scope: WebhookScope, displayURL: String, url: String, event: String, payloadVersion: String,
                secretKey: String, headers: [String: String]) {
        self.scope = scope
        self.displayURL = displayURL
        self.url = url
        self.event = event
        self.payloadVersion = payloadVersion
        self.secretKey = secretKey
        self.headers = headers
    }

    /// The delivery this target gets.
    public func delivery(signing: SampleDelivery.Signing, idempotencyKey: String, time: Date) -> SampleDelivery {
        SampleDelivery(event: event, payloadVersion: payloadVersion, scope: scope, secretKey: secretKey, headers: headers,
                       idempotencyKey: idempotencyKey, time: time, signing: signing)
    }
}

/// What one delivery got back.
public enum DeliveryOutcome: Sendable, Equatable {
    /// An HTTP answer; `location` is a redirect's target, masked for display.
    case answered(status: Int, milliseconds: Int, location: String?)
    /// No HTTP answer: no connection, TLS, or no answer within the deadline.
    case failed(TransportFailure, milliseconds: Int)

    public var isSuccess: Bool {
        if case .answered(let status, _, _) = self { return (200..<300).contains(status) }
        return false
    }

    /// `200 in 35 ms`, `401 in 3 ms`, `no answer within 10 s`, or the failure in words.
    public var summary: String {
        switch self {
        case .answered(let status, let milliseconds, _): "\(status) in \(milliseconds) ms"
        case .failed(.timedOut, _): "no answer within \(Int(EndpointVerifier.deadline)) s"
        case .failed(let failure, _): failure.description
        }
    }
}

/// One webhook's result: the signed delivery, and with `--probe-signature` the two probes.
public struct EndpointReport: Sendable {
    public var target: VerifyTarget
    public var delivery: DeliveryOutcome
    public var wrongSignature: DeliveryOutcome?
    public var noSignature: DeliveryOutcome?
    /// The time an answer had (Kapso's 10 s; shorter only in tests).
    public var deadline: TimeInterval = EndpointVerifier.deadline

    /// True when the endpoint answered the signed delivery 2xx in time and no probe was accepted.
    public var passed: Bool { delivery.isSuccess && !acceptsUnsigned }

    /// True when a probe (a wrong signature, or none) was answered 2xx: the receiver does not check
    /// signatures.
    public var acceptsUnsigned: Bool { wrongSignature?.isSuccess == true || noSignature?.isSuccess == true }

    /// The verdict in words: what happened and, when it failed, what it means for Kapso's deliveries.
    public var lines: [String] {
        var lines: [String] = []
        let deadline = deadline == deadline.rounded() ? "\(Int(deadline))" : "\(deadline)"
        switch delivery {
        case .answered(let status, let milliseconds, _) where (200..<300).contains(status):
            lines.append("ok: answered \(status) in \(milliseconds) ms (Kapso waits \(deadline) s)")
        case .answered(let status, _, _) where status == 401 || status == 403:
            lines.append("failed: answered \(delivery.summary) to a correctly signed delivery: the receiver refused the signature — it does not have this secret_key (a rotation it has not picked up yet?)")
        case .answered(let status, _, let location) where (300..<400).contains(status):
            lines.append("failed: answered \(delivery.summary), a redirect" + (location.map { " to \($0)" } ?? "")
                         + ": Kapso does not follow redirects, so deliveries would fail; declare the final URL")
        case .answered:
            lines.append("failed: answered \(delivery.summary): Kapso retries a failed delivery after 10 s, 40 s and 90 s, then drops it")
        case .failed(.timedOut, _):
            lines.append("failed: no answer within \(deadline) s: Kapso gives up on a delivery after \(deadline) s and retries after 10 s, 40 s and 90 s")
        case .failed(.tls(let words), _):
            lines.append("failed: cannot connect securely: \(words)")
        case .failed(.refused(let words), _):
            lines.append("not verified: \(words)")
        case .failed(let failure, _):
            lines.append("failed: \(failure.description)")
        }
        if let wrong = wrongSignature, let none = noSignature {
            var accepted: [String] = []
            if wrong.isSuccess { accepted.append("with a wrong signature (\(wrong.summary))") }
            if none.isSuccess { accepted.append("with no signature (\(none.summary))") }
            if accepted.isEmpty {
                lines.append("signatures checked: a wrong signature got \(wrong.summary), none got \(none.summary)")
            } else {
                lines.append("NOT VERIFYING SIGNATURES: accepted a delivery " + accepted.joined(separator: " and ")
                             + ": anyone who knows the URL can send it events")
            }
        }
        return lines
    }
}

/// Sends sample deliveries to declared endpoints, as Kapso would, and reports what each answered.
///
/// One delivery per webhook (with the signature probe, once it passed, two more: wrongly signed and
/// unsigned, one after another, each with its own idempotency key), `limit` webhooks at once, each exchange bounded
/// by Kapso's 10 s. Nothing is retried and no redirect is followed (Kapso follows none either).
/// Only `https://` URLs, or plain `http://` to a loopback host, are ever sent to, and only where
/// the ``DeliveryPolicy`` allows: the caller checks each target's origin before, and the verifier
/// checks the addresses its host resolves to and connects to the one it checked.
public struct EndpointVerifier: Sendable {
    /// Kapso's limit for an answer.
    public static let deadline: TimeInterval = 10

    let transport: any HTTPTransport
    let limit: Int
    let time: Date
    let policy: DeliveryPolicy
    /// How long an answer may take: Kapso's 10 s (a parameter so a test proves the cut quickly).
    let answerDeadline: TimeInterval

    public init(transport: any HTTPTransport, limit: Int, policy: DeliveryPolicy, time: Date = Date(),
                deadline: TimeInterval = EndpointVerifier.deadline) {
        self.transport = transport
        self.limit = limit
        self.policy = policy
        self.time = time
        answerDeadline = deadline
    }

    /// Why `url` may not be sent to, or nil: the rule specs follow (https, or http to loopback);
    /// `loopbackOnly` (the simulator's deliveries) refuses every other host too.
    public static func refusal(_ url: String, loopbackOnly: Bool = false) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty else {
            return "not an absolute URL"
        }
        if loopbackOnly && !LoopbackHost.contains(host) { return "not on loopback" }
        if scheme == "https" || (scheme == "http" && LoopbackHost.contains(host)) { return nil }
        return "kapsoctl sends only to https:// URLs (plain http:// only to localhost and loopback addresses)"
    }

    public func verify(_ targets: [VerifyTarget], probe: Bool) async -> [EndpointReport] {
        await boundedMap(targets, limit: limit) { target in
            let address: String
            if let refusal = Self.refusal(target.url) ?? policy.originRefusal(target.url) {
                return EndpointReport(target: target, delivery: .failed(.refused(refusal), milliseconds: 0), deadline: answerDeadline)
            }
            switch await policy.address(for: target.url) {
            case .success(let checked): address = checked
            case .failure(let refusal):
                return EndpointReport(target: target, delivery: .failed(refusal.connection ? .connection(refusal.message) : .refused(refusal.message), milliseconds: 0),
                                      deadline: answerDeadline)
            }
            let delivery = await send(target, .correct, to: address)
            // The probes ask whether a receiver that takes the right signature also takes wrong ones;
            // one that refused the signed delivery has nothing more to tell.
            guard probe, delivery.isSuccess else { return EndpointReport(target: target, delivery: delivery, deadline: answerDeadline) }
            return EndpointReport(target: target, delivery: delivery,
                                  wrongSignature: await send(target, .wrong, to: address), noSignature: await send(target, .none, to: address),
                                  deadline: answerDeadline)
        }
    }

    /// One delivery to `address` (checked by the policy); its time is counted from the request's
    /// start to the answer.
    func send(_ target: VerifyTarget, _ signing: SampleDelivery.Signing, to address: String) async -> DeliveryOutcome {
        let delivery = target.delivery(signing: signing, idempotencyKey: UUID().uuidString.lowercased(), time: time)
        var request = delivery.request(to: URL(string: target.url)!, userAgent: KapsoctlVersion.userAgent)
        request.pinnedAddress = address
        request.timeout = answerDeadline
        let start = ContinuousClock.now
        let result: Result<HTTPResponseData, TransportFailure>
        do { result = .success(try await transport.send(request)) } catch { result = .failure(error) }
        let elapsed = start.duration(to: .now)
        let milliseconds = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        switch result {
        case .success(let response):
            let location = (300..<400).contains(response.status) ? response.headers["location"].map(URLDisplay.masked) : nil
            return .answered(status: response.status, milliseconds: milliseconds, location: location)
        case .failure(let failure):
            return .failed(failure, milliseconds: milliseconds)
        }
    }
}
