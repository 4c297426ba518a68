import Foundation

/// Paces the requests of one client by what the server says about its rate limit.
///
/// - A 429 with `Retry-After` holds back every request of the client, not only the one refused, so
///   concurrent requests do not each run into the limit.
/// - When `X-RateLimit-Remaining` falls to the number of requests that may be in flight, request
///   starts are spaced at `60 s / X-RateLimit-Limit` (the documented limits are per minute), so the
///   last of the budget is spread out instead of spent in one burst.
/// - What a response says about the budget holds for one window (60 s) at most: a server that
///   stops sending the headers does not leave the client slowed for good. A 429 that says when to
///   come back (`Retry-After`) is obeyed by that hold alone: its `Remaining: 0` says nothing about
///   the next window.
actor RequestPacer {
    private var notBefore = Date.distantPast
    private var spacing: TimeInterval = 0
    private var spacingLearned = Date.distantPast
    private var lastStart = Date.distantPast
    /// At or below this many remaining requests, starts are spaced.
    private let threshold: Int
    /// How long what the headers said holds.
    private let window: TimeInterval
    /// The time (injected by tests, which move it instead of waiting for it).
    private let now: @Sendable () -> Date

    init(threshold: Int, window: TimeInterval = 60, clock: @escaping @Sendable () -> Date = Date.init) {
        self.threshold = max(1, threshold)
        self.window = window
        now = clock
    }

    /// The spacing in force now.
    private func effectiveSpacing(_ now: Date) -> TimeInterval {
        now.timeIntervalSince(spacingLearned) < window ? spacing : 0
    }

    /// Waits until a request may start, and books that start. A 429 seen by another request while
    /// this one slept may have moved the hold further: it is checked again on waking (before, each
    /// request in flight ran into one more 429 after every wait).
    func waitTurn() async {
        var first = true
        while true {
            let now = self.now()
            let spacing = effectiveSpacing(now)
            let start = max(now, notBefore, spacing > 0 ? lastStart.addingTimeInterval(spacing) : now)
            lastStart = start
            let wait = start.timeIntervalSince(now)
            if wait > 0 { waits += 1 }
            if first {
                first = false
                turns += 1
                let ready = turnWatchers.filter { $0.count <= turns }
                turnWatchers.removeAll { $0.count <= turns }
                for watcher in ready { watcher.continuation.resume() }
            }
            guard wait > 0 else { return }
            try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000_000))
            // A cancelled task does not sleep: it must not loop here.
            if Task.isCancelled || notBefore <= self.now() { return }
        }
    }

    /// How many times a request has had to sleep for its turn (for tests).
    private(set) var waits = 0
    /// How many calls of ``waitTurn()`` have decided whether to sleep (for tests).
    private var turns = 0
    private var turnWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Returns once `count` calls of ``waitTurn()`` in all have decided whether to sleep — each has
    /// either gone through or is sleeping (for tests: a test that needed a request to be sleeping
    /// checks ``waits``, since a slow machine may have started it after the hold ended).
    func untilTurns(_ count: Int) async {
        if turns >= count { return }
        await withCheckedContinuation { turnWatchers.append((count, $0)) }
    }

    /// Learns from a response's status and headers (lowercased names).
    func observe(status: Int, headers: [String: String]) {
        if status == 429, let retryAfter = RetryPolicy.parseRetryAfter(headers["retry-after"]) {
            notBefore = max(notBefore, now().addingTimeInterval(retryAfter))
            let waiting = holdWatchers
            holdWatchers = []
            for watcher in waiting { watcher.resume() }
            return
        }
        if let remaining = headers["x-ratelimit-remaining"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
           let limit = headers["x-ratelimit-limit"].flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), limit > 0 {
            spacing = remaining <= threshold ? 60 / Double(limit) : 0
            spacingLearned = now()
        }
    }

    private var holdWatchers: [CheckedContinuation<Void, Never>] = []

    /// Returns once a 429 has set a hold (for tests, instead of polling ``heldUntil``).
    func untilHeld() async {
        if notBefore > Date.distantPast { return }
        await withCheckedContinuation { holdWatchers.append($0) }
    }

    /// The current spacing between starts, in seconds (for tests).
    var currentSpacing: TimeInterval { effectiveSpacing(now()) }

    /// No request starts before this instant (for tests).
    var heldUntil: Date { notBefore }
}
