import Foundation

/// What `kapsoctl status` says of one declared webhook.
public enum HealthState: String, Sendable, CaseIterable {
    /// Deliveries in the period, failures at most the threshold.
    case healthy
    /// No delivery in the period.
    case idle
    /// More failed deliveries than the threshold allows.
    case failing
    /// The server has `active: false` while the spec wants it active, with failures in the
    /// period: Kapso paused it (it never resumes one by itself).
    case paused
    /// Declared, not on the server.
    case missing

    /// Failing, paused and missing need someone: `status` exits 2.
    public var isUnhealthy: Bool { self == .failing || self == .paused || self == .missing }
}

/// One declared webhook's delivery health.
public struct WebhookHealth: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var at: String?
        public var responseStatus: Int?
        public var event: String?
    }

    public var scope: WebhookScope
    public var scopeName: String?
    /// As outputs show it (``URLDisplay``).
    public var url: String
    public var webhookID: String?
    public var location: SourceLocation
    public var state: HealthState
    public var delivered = 0
    public var failed = 0
    public var pending = 0
    /// True when there were more deliveries than were read: the counts are "at least".
    public var more = false
    public var lastFailure: Failure?
    /// A word for the reader: what to do, or why the state is what it is.
    public var note: String?
    /// Requests this webhook cost.
    public var requests = 0
}

/// How `status` reads and judges.
public struct HealthOptions: Sendable {
    public var period: DeliveryPeriod
    /// A webhook whose failed share of settled deliveries is above this is failing (0.10: 10 %).
    public var maxFailureRate: Double
    /// Pages of 100 read per webhook at most (the request bound; one more, for the last failure,
    /// only when the pages read hold none but there are more).
    public var maxPages: Int

    public init(period: DeliveryPeriod = .day, maxFailureRate: Double = 0.10, maxPages: Int = 3) {
        self.period = period
        self.maxFailureRate = maxFailureRate
        self.maxPages = maxPages
    }
}

/// Reads Kapso's delivery history of the webhooks a plan matched and judges each.
public enum DeliveryHealth {
    public static let pausedAdvice = "Kapso paused it after its deliveries kept failing and never resumes it: fix the receiver, prove it with 'kapsoctl verify', then 'kapsoctl apply' resumes it (active: true)"

    /// The health of every declared webhook of `plan` (matched on the server as the plan matched
    /// it), reading deliveries through `client` (the Platform API's).
    public static func check(_ plan: Plan, observed: ObservedState, client: KapsoClient, options: HealthOptions,
                             parallelism: Int) async -> Result<[WebhookHealth], APIError> {
        let server = Dictionary(observed.webhooks.values.joined().map { ($0.id, $0) }) { first, _ in first }
        var items: [(WebhookChange, DesiredWebhook, String?)] = []
        for config in plan.configs {
            for change in config.changes {
                if let desired = change.desired { items.append((change, desired, config.name)) }
            }
        }
        let results = await boundedMap(items, limit: parallelism) { item in
            await health(item.0, desired: item.1, scopeName: item.2, server: item.0.webhookID.flatMap { server[$0] },
                         client: client, options: options)
        }
        var out: [WebhookHealth] = []
        for result in results {
            switch result {
            case .success(let health): out.append(health)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(out)
    }

    private static func health(_ change: WebhookChange, desired: DesiredWebhook, scopeName: String?, server: ServerWebhook?,
                               client: KapsoClient, options: HealthOptions) async -> Result<WebhookHealth, APIError> {
        var health = WebhookHealth(scope: change.scope, scopeName: scopeName, url: change.displayURL, webhookID: change.webhookID,
                                   location: desired.location, state: .idle)
        guard let id = change.webhookID, change.action != .create else {
            health.state = .missing
            health.note = "declared but not on the server: 'kapsoctl apply' creates it"
            return .success(health)
        }
        do throws(APIError) {
            var cursor: String?
            for _ in 0..<max(1, options.maxPages) {
                let page = try await client.listDeliveries(webhookID: id, period: options.period, after: cursor)
                health.requests += 1
                for delivery in page.deliveries {
                    switch delivery.status {
                    case .delivered: health.delivered += 1
                    case .failed:
                        health.failed += 1
                        if health.lastFailure == nil { health.lastFailure = failure(delivery) }
                    case .pending: health.pending += 1
                    }
                }
                cursor = page.next
                if cursor == nil { break }
            }
            health.more = cursor != nil
            if health.more && health.lastFailure == nil {
                let errors = try await client.listDeliveries(webhookID: id, period: options.period, limit: 1, errorsOnly: true)
                health.requests += 1
                health.lastFailure = errors.deliveries.first.map(failure)
            }
        } catch {
            return .failure(error)
        }
        let settled = health.delivered + health.failed
        let serverActive = server?.attributes[.active]?.bool ?? true
        let wantsActive = desired.attributes[.active]?.bool ?? true
        if !serverActive && wantsActive && (health.failed > 0 || health.lastFailure != nil) {
            health.state = .paused
            health.note = pausedAdvice
        } else if settled + health.pending == 0 {
            health.state = .idle
        } else if settled > 0 && Double(health.failed) / Double(settled) > options.maxFailureRate {
            health.state = .failing
        } else {
            health.state = .healthy
        }
        if !serverActive && health.state != .paused {
            health.note = wantsActive
                ? "inactive on the server, but not paused by Kapso (no failed delivery in the period): 'kapsoctl plan' shows the change"
                : "inactive, as the spec declares"
        }
        return .success(health)
    }

    /// `plan --health`: each `active: false → true` change (what a paused webhook looks like) is
    /// asked whether its deliveries were failing — one request each, `errors_only` over 30 days,
    /// none for any other change — and said to be paused by Kapso when they were. Returns the
    /// number of requests.
    public static func markPaused(_ plan: inout Plan, client: KapsoClient, parallelism: Int) async -> Result<Int, APIError> {
        var candidates: [(Int, Int, Int, String)] = []
        for (c, config) in plan.configs.enumerated() {
            for (w, change) in config.changes.enumerated() {
                guard let id = change.webhookID, let f = change.fields.firstIndex(where: {
                    $0.name == Attribute.active.name && $0.before == .bool(false) && $0.after == .bool(true)
                }) else { continue }
                candidates.append((c, w, f, id))
            }
        }
        let answers = await boundedMap(candidates, limit: parallelism) { candidate -> Result<Delivery?, APIError> in
            do throws(APIError) {
                return .success(try await client.listDeliveries(webhookID: candidate.3, period: .month, limit: 1, errorsOnly: true).deliveries.first)
            } catch {
                return .failure(error)
            }
        }
        for (candidate, answer) in zip(candidates, answers) {
            switch answer {
            case .failure(let error): return .failure(error)
            case .success(nil): continue
            case .success(let delivery?):
                let last = failure(delivery)
                let status = last.responseStatus.map { "HTTP \($0)" } ?? "no answer"
                plan.configs[candidate.0].changes[candidate.1].fields[candidate.2].healthNote =
                    "paused by Kapso: its deliveries were failing (last failure \(HumanText.escape(last.at ?? "?")), \(status)); fix the receiver and prove it with 'kapsoctl verify' before applying resumes it"
            }
        }
        return .success(candidates.count)
    }

    private static func failure(_ delivery: Delivery) -> WebhookHealth.Failure {
        WebhookHealth.Failure(at: delivery.failedAt ?? delivery.createdAt, responseStatus: delivery.responseStatus, event: delivery.event)
    }
}
