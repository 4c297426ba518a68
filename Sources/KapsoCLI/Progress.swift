import Foundation
import KapsoKit
import Synchronization

/// What a long `plan`, `apply` or `export` is doing, on stderr: requests answered while reading,
/// writes done of the total while applying, and a wait on the server's rate limit (or before a
/// retry) with the seconds left.
///
/// - On a terminal (stderr is one): one live line, redrawn a few times a second and cleared before
///   any other output, so it never mixes with the plan or the report.
/// - Otherwise (CI logs): a line every `KAPSOCTL_PROGRESS_SECONDS` (default 5) at most, only when
///   something changed or a wait goes on; a run shorter than that prints none. `0` turns it off.
enum Progress {
    private struct State: Sendable {
        var running = false
        var phase = "reading the server"
        var reads = 0
        var writesDone = 0
        var writesTotal = 0
        var waitUntil: Date?
        var waitReason = ""
        /// The lines a log has been given: one is never printed twice (after a wait ends, the line
        /// from before it would otherwise come again though nothing moved).
        var printed = Set<String>()
        /// Which ticker may print: a ticker of an earlier start (cancelled, but perhaps between its
        /// sleep and its tick) must not print a stale line after a newer one.
        var generation = 0
    }

    private static let state = Locked(State())
    private static let ticker = Locked<Task<Void, Never>?>(nil)

    static let defaultInterval: TimeInterval = 5

    /// Starts reporting (once per run; later calls only change the phase).
    static func start(environment: [String: String]) {
        let terminal = isatty(STDERR_FILENO) == 1
        let interval = terminal ? 0.2 : (environment["KAPSOCTL_PROGRESS_SECONDS"].flatMap(TimeInterval.init) ?? defaultInterval)
        guard interval > 0, interval.isFinite else { return }
        let generation = state.withLock { state -> Int? in
            if state.running { return nil }
            state.running = true
            state.generation += 1
            return state.generation
        }
        guard let generation else { return }
        let task = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                guard !Task.isCancelled else { return }
                tick(terminal: terminal, generation: generation)
            }
        }
        ticker.withLock { $0 = task }
    }

    /// Stops reporting and clears the live line.
    static func stop() {
        ticker.withLock { task in
            task?.cancel()
            task = nil
        }
        state.withLock {
            $0.running = false
            $0.generation += 1
        }
        Console.clearStatus()
    }

    /// The apply phase: `total` writes to make.
    static func applying(total: Int) {
        state.withLock {
            $0.phase = "applying"
            $0.writesTotal = total
            $0.writesDone = 0
        }
    }

    static func writeFinished() {
        state.withLock { $0.writesDone += 1 }
    }

    /// Learns from every request the client sends (its `--verbose` entries).
    static func observe(_ entry: RequestLogEntry) {
        state.withLock { state in
            if let wait = entry.retryIn {
                state.waitUntil = Date().addingTimeInterval(wait)
                state.waitReason = entry.status == 429 ? "on the rate limit (429)"
                    : entry.status.map { "before retrying (\($0))" } ?? "before retrying (no answer)"
            } else if entry.method == "GET", entry.status.map({ (200..<300).contains($0) }) == true {
                state.reads += 1
            }
        }
    }

    /// The line as it reads now, e.g. `kapsoctl: applying: 40/250 writes done; waiting 12 s on the rate limit (429)`.
    static func line(now: Date = Date()) -> String {
        state.withLock { render($0, now: now) }
    }

    private static func render(_ state: State, now: Date) -> String {
        var text = "kapsoctl: \(state.phase): "
        text += state.phase == "applying" ? "\(state.writesDone)/\(state.writesTotal) writes done"
            : "\(state.reads) request\(state.reads == 1 ? "" : "s") answered"
        if let until = state.waitUntil, until > now {
            text += "; waiting \(Int(until.timeIntervalSince(now).rounded(.up))) s \(state.waitReason)"
        }
        return text
    }

    /// The line, printed when this ticker is current and (in a log) when it changed: decided
    /// under one lock, so two tickers never interleave a stale line.
    private static func tick(terminal: Bool, generation: Int) {
        let now = Date()
        let text = state.withLock { state -> String? in
            guard state.generation == generation else { return nil }
            let text = render(state, now: now)
            if !terminal {
                guard state.printed.insert(text).inserted else { return nil }
            }
            return text
        }
        guard let text else { return }
        if terminal { Console.showStatus(text) } else { Console.error(text) }
    }
}
