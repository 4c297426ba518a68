import Foundation

/// Carries out a plan's writes: one request per changed webhook, independent requests concurrently.
///
/// The API has no idempotency key, so two applies of one spec at once (two CI jobs, two copies of
/// one saved plan) could each create every new webhook. Three defences, which every run applies
/// the same way:
/// 1. Just before a POST, a fresh read of the config (``FreshReads``) shows whether the URL exists
///    by now; if it does, nothing is created (done when the existing webhook is as declared,
///    failed when it differs).
/// 2. After the writes, every config in which this run created webhooks is read again. When a URL
///    this run created now exists more than once, the copy with the oldest `created_at` (then the
///    smallest id) is kept — a rule every run computes alike from the same data — and this run
///    deletes its own copy if it is not that one. It never deletes another run's copy.
/// 3. A POST whose answer was lost is never sent again (see ``resolveLostCreate``).
public struct Executor: Sendable {
    public let client: KapsoClient
    public let parallelism: Int
    /// Asked before each request starts; false once the run was interrupted.
    public let shouldStart: @Sendable () -> Bool
    /// Told each time a write's outcome is known (for progress).
    public let finished: @Sendable (ApplyReport.Entry) -> Void

    public init(client: KapsoClient, parallelism: Int, shouldStart: @escaping @Sendable () -> Bool = { true },
                finished: @escaping @Sendable (ApplyReport.Entry) -> Void = { _ in }) {
        self.client = client
        self.parallelism = parallelism
        self.shouldStart = shouldStart
        self.finished = finished
    }

    /// Sends every write and reports each outcome (in the writes' order). `observed` is what the
    /// plan saw.
    ///
    /// Writes run in three phases, each concurrently: deletes, then replaces (each creates the new
    /// webhook, then deletes the old), then creates and updates. Pruned webhooks go first, so a new
    /// `meta` webhook never meets a pruned one on its number (the API allows one per number).
    public func apply(_ writes: [PlannedWrite], observed: ObservedState) async -> ApplyReport {
        let fresh = FreshReads(client: client, creates: writes.filter { $0.action == .create }, observed: observed)
        var entries = writes.map { ApplyReport.Entry($0.summary, .notAttempted) }
        // A 401 or 403 means the key was revoked or lacks the right: no further request starts.
        let refused = Locked(false)
        // After a replace whose create failed, no other replace starts (they would likely fail alike).
        let replaceFailed = Locked(false)
        for phase: Set<ChangeAction> in [[.delete], [.replace], [.create, .update]] {
            let indices = writes.indices.filter { phase.contains(writes[$0].action) }
            let done = await boundedMap(indices, limit: parallelism) { index in
                let write = writes[index]
                guard shouldStart(), !refused.withLock({ $0 }), write.action != .replace || !replaceFailed.withLock({ $0 }) else {
                    return ApplyReport.Entry(write.summary, .notAttempted)
                }
                // The write's own request (its last non-GET one) gives the entry its status and attempts.
                let trace = RequestTrace()
                var entry = await RequestTrace.$current.withValue(trace) {
                    await perform(write, fresh: fresh, observed: observed, replaceFailed: replaceFailed)
                }
                if let request = trace.lastWrite {
                    entry.status = request.status
                    entry.attempts = request.attempts
                }
                if trace.all.contains(where: { $0.status == 401 || $0.status == 403 }) {
                    refused.withLock { $0 = true }
                }
                finished(entry)
                return entry
            }
            for (index, entry) in zip(indices, done) { entries[index] = entry }
        }
        if shouldStart(), !refused.withLock({ $0 }) {
            entries = await removeConcurrentCopies(entries, urls: writes.map { $0.body?.url ?? "" })
        }
        return ApplyReport(entries: entries)
    }

    private func perform(_ write: PlannedWrite, fresh: FreshReads, observed: ObservedState, replaceFailed: Locked<Bool>) async -> ApplyReport.Entry {
        let summary = write.summary
        switch write.request {
        case .create(let attributes):
            return await create(write, attributes, fresh: fresh, observed: observed)
        case .replace(let id, let from, let attributes):
            return await replace(write, deleting: id, in: from, attributes, observed: observed, replaceFailed: replaceFailed)
        case .update(let id, let attributes):
            do {
                let updated = "updated " + attributes.setNames.joined(separator: ", ")
                let done = ApplyReport.Entry(summary, .done(updated))
                if let stored = try await client.updateWebhook(in: write.scope, id: id, attributes: attributes) {
                    return Self.checked(done, sent: attributes, stored: stored)
                }
                // 204 No Content: success, and the webhook is read back to check what was stored.
                guard let stored = try? await client.getWebhook(in: write.scope, id: id) else {
                    return ApplyReport.Entry(summary, .done(updated
                        + " (the server answered 204 without the webhook, and reading it back failed: what it stored is not checked)"))
                }
                return Self.checked(done, sent: attributes, stored: stored)
            } catch {
                return ApplyReport.Entry(summary, .failed(error.description))
            }
        case .delete(let id):
            do {
                try await client.deleteWebhook(in: write.scope, id: id)
                return ApplyReport.Entry(summary, .done("deleted"))
            } catch {
                return ApplyReport.Entry(summary, error.status == 404 ? .done("already gone (404)") : .failed(error.description))
            }
        }
    }

    /// A replace creates first, then deletes the old webhook: a create that fails (422, 402, 500, a
    /// dropped connection) then loses nothing, and the old webhook keeps receiving deliveries. The
    /// API allows it: the two differ in kind or number, so the one-meta-per-number rule holds.
    private func replace(_ write: PlannedWrite, deleting id: String, in from: WebhookScope, _ attributes: WebhookAttributes,
                         observed: ObservedState, replaceFailed: Locked<Bool>) async -> ApplyReport.Entry {
        let summary = write.summary
        let entry = await post(write, attributes, observed: observed)
        // Created (perhaps stored otherwise than sent: a failed entry that changed the server).
        let created: String
        switch entry.outcome {
        case .done(let detail): created = detail
        case .failed(let reason) where entry.changedServer: created = reason
        case .failed(let reason):
            replaceFailed.withLock { $0 = true }
            return ApplyReport.Entry(summary, .failed("not replaced: creating the new webhook failed: \(reason); the old webhook \(id) is kept and still receives deliveries"))
        default:
            replaceFailed.withLock { $0 = true }
            return entry
        }
        var outcome: ApplyReport.Entry
        do {
            try await client.deleteWebhook(in: from, id: id)
            outcome = entry.changedServer ? ApplyReport.Entry(summary, .failed("\(created); the old webhook \(id) was deleted"))
                : ApplyReport.Entry(summary, .done("\(created), then deleted \(id)"), createdID: entry.createdID)
        } catch where error.status != 404 {
            outcome = ApplyReport.Entry(summary, .failed("\(created), but deleting the old webhook \(id) failed: \(error); both receive deliveries until \(id) is deleted (run apply again with prune, or delete it in the dashboard)"))
        } catch {
            outcome = entry.changedServer ? ApplyReport.Entry(summary, .failed("\(created); the old webhook \(id) is already gone"))
                : ApplyReport.Entry(summary, .done("\(created), then found \(id) already gone"), createdID: entry.createdID)
        }
        if case .failed = outcome.outcome { outcome.changedServer = true }
        return outcome
    }

    private func create(_ write: PlannedWrite, _ attributes: WebhookAttributes, fresh: FreshReads,
                        observed: ObservedState) async -> ApplyReport.Entry {
        let summary = write.summary
        let url = attributes.url ?? ""
        let existing: [ServerWebhook]
        switch await fresh.webhooks(in: write.scope, url: url) {
        case .success(let hooks): existing = hooks.filter { URLIdentity.same($0.url, url) }
        case .failure(let error):
            return ApplyReport.Entry(summary, .failed("not created: checking whether it exists by now failed: \(error)"))
        }
        if let found = existing.first {
            let others = existing.count > 1 ? " (and \(existing.count - 1) more)" : ""
            if existing.allSatisfy({ Planner.matches(attributes, $0) }) {
                return ApplyReport.Entry(summary, .done(
                    "already exists with id \(found.id)\(others), created since the plan (by a concurrent apply?); not created again"))
            }
            return ApplyReport.Entry(summary, .failed(
                "not created: a webhook with this URL was created since the plan (id \(found.id))\(others) and differs from the spec; run plan again"))
        }
        guard shouldStart() else { return ApplyReport.Entry(summary, .notAttempted) }
        return await post(write, attributes, observed: observed)
    }

    /// The POST of a create (or of a replace's new webhook), and what came of it.
    private func post(_ write: PlannedWrite, _ attributes: WebhookAttributes, observed: ObservedState) async -> ApplyReport.Entry {
        let summary = write.summary
        do {
            let created = try await client.createWebhook(in: write.scope, attributes: attributes)
            return Self.checked(ApplyReport.Entry(summary, .done("created with id \(created.id)"), createdID: created.id),
                                sent: attributes, stored: created)
        } catch {
            if error.status == 422, let settled = await settleRefusedCreate(write.scope, attributes, error: error, observed: observed) {
                return ApplyReport.Entry(summary, settled)
            }
            guard error.outcomeUnknown else { return ApplyReport.Entry(summary, .failed(error.description)) }
            return ApplyReport.Entry(summary, await resolveLostCreate(write.scope, url: attributes.url ?? "", error: error, observed: observed))
        }
    }

    /// A write that took effect, checked against what the server answered it stores: when that
    /// differs (beyond what URL identity tolerates), the entry fails with what to write in the
    /// spec, and the run is partial — the next plan would show the change again.
    static func checked(_ entry: ApplyReport.Entry, sent: WebhookAttributes, stored: ServerWebhook) -> ApplyReport.Entry {
        guard case .done(let detail) = entry.outcome else { return entry }
        let differences = StoredDifferences.lines(sent: sent, stored: stored)
        guard !differences.isEmpty else { return entry }
        var checked = entry
        checked.outcome = .failed("\(detail), but " + differences.joined(separator: "; "))
        checked.changedServer = true
        return checked
    }

    /// A create refused with 422 because the URL exists by now ("Url has already been taken", as a
    /// server that keeps URLs unique says): a concurrent apply created it between the fresh check
    /// and this POST. Re-read: when a webhook with the URL appeared since the plan, the outcome is
    /// that of the concurrent-apply case — done when it is as declared, failed when it differs.
    /// Nil when no such webhook is there (the 422 was about something else).
    private func settleRefusedCreate(_ scope: WebhookScope, _ attributes: WebhookAttributes, error: APIError,
                                     observed: ObservedState) async -> ApplyReport.Outcome? {
        let url = attributes.url ?? ""
        let before = Set((observed.webhooks[scope] ?? []).map(\.id))
        guard let now = try? await client.listWebhooks(in: scope) else { return nil }
        let appeared = now.filter { URLIdentity.same($0.url, url) && !before.contains($0.id) }
        guard let found = appeared.first else { return nil }
        if appeared.allSatisfy({ Planner.matches(attributes, $0) }) {
            return .done("already exists with id \(found.id), created by a concurrent apply (the server refused a second: \(error.serverMessage ?? "422")); not created again")
        }
        return .failed("not created: a webhook with this URL was created by a concurrent apply (id \(found.id)) and differs from the spec; run plan again")
    }

    /// After a POST without a trustworthy answer: re-read the config. A webhook with the URL that
    /// was not there when planning means the POST (or a concurrent run's) took effect; it is not
    /// claimed as this run's own, so the duplicate check never deletes it.
    private func resolveLostCreate(_ scope: WebhookScope, url: String, error: APIError, observed: ObservedState) async -> ApplyReport.Outcome {
        let before = Set((observed.webhooks[scope] ?? []).map(\.id))
        do throws(APIError) {
            let now = try await client.listWebhooks(in: scope)
            if let created = now.first(where: { URLIdentity.same($0.url, url) && !before.contains($0.id) }) {
                return .done("created with id \(created.id) (the answer was lost: \(error); confirmed by re-reading the config)")
            }
            return .failed("\(error); re-reading the config shows it was not created")
        } catch let reread {
            return .unknown("\(error); re-reading the config failed too (\(reread)): check before applying again")
        }
    }

    /// Step 2 of the concurrency defence: re-read each config this run created webhooks in, and
    /// delete this run's copy of any URL that now exists more than once, unless it is the one
    /// every run keeps.
    private func removeConcurrentCopies(_ entries: [ApplyReport.Entry], urls: [String]) async -> [ApplyReport.Entry] {
        let scopes = Array(Set(entries.compactMap { $0.createdID == nil ? nil : $0.write.scope })).sorted()
        guard !scopes.isEmpty else { return entries }
        let reads = await boundedMap(scopes, limit: parallelism) { scope in
            ScopeRead(scope: scope, result: await readScope(scope))
        }
        var updated = entries
        var deletions: [(index: Int, copy: String, kept: ServerWebhook)] = []
        for read in reads {
            for (index, entry) in entries.enumerated() where entry.write.scope == read.scope {
                guard let created = entry.createdID, case .done = entry.outcome else { continue }
                switch read.result {
                case .failure(let error):
                    updated[index].outcome = .done("created with id \(created); checking the config for copies made by a concurrent apply failed (\(error)): run plan to check")
                case .success(let hooks):
                    let same = hooks.filter { URLIdentity.same($0.url, urls[index]) }
                    guard same.count > 1, same.contains(where: { $0.id == created }),
                          let kept = same.min(by: Self.keptFirst), kept.id != created else { continue }
                    deletions.append((index, created, kept))
                }
            }
        }
        let outcomes = await boundedMap(deletions.map { ($0.index, $0.copy, $0.kept.id) }, limit: parallelism) { item in
            let (index, copy, kept) = item
            do throws(APIError) {
                try await client.deleteWebhook(in: entries[index].write.scope, id: copy)
                return (index, ApplyReport.Outcome.done(
                    "created with id \(copy); a concurrent apply had created the same webhook first (id \(kept)), which is kept: deleted this run's copy"))
            } catch {
                if error.status == 404 {
                    return (index, .done("created with id \(copy); a concurrent apply created the same webhook first (id \(kept)); this run's copy is already gone"))
                }
                return (index, .failed("created with id \(copy), a duplicate of \(kept) created first by a concurrent apply; deleting the copy failed: \(error)"))
            }
        }
        for (index, outcome) in outcomes {
            updated[index].outcome = outcome
            updated[index].createdID = nil
        }
        return updated
    }

    /// The order every run agrees on: oldest `created_at` first, then the smallest id.
    static func keptFirst(_ a: ServerWebhook, _ b: ServerWebhook) -> Bool {
        let (ta, tb) = (a.createdAt.flatMap(ISOTime.seconds), b.createdAt.flatMap(ISOTime.seconds))
        if ta != tb { return (ta ?? .infinity) < (tb ?? .infinity) }
        return a.id.lowercased() < b.id.lowercased()
    }

    private struct ScopeRead: Sendable {
        var scope: WebhookScope
        var result: Result<[ServerWebhook], APIError>
    }

    private func readScope(_ scope: WebhookScope) async -> Result<[ServerWebhook], APIError> {
        do {
            return .success(try await client.listWebhooks(in: scope))
        } catch {
            return .failure(error)
        }
    }
}
