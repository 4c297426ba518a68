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
        var lastPrinted = ""
    }

    private static let state = Locked(State())
    private static let ticker = Locked<Task<Void, Never>?>(nil)

    static let defaultInterval: TimeInterval = 5

    /// Starts reporting (once per run; later calls only change the phase).
    static func start(environment: [String: String]) {
        let terminal = isatty(STDERR_FILENO) == 1
        let interval = terminal ? 0.2 : (environment["KAPSOCTL_PROGRESS_SECONDS"].flatMap(TimeInterval.init) ?? defaultInterval)
        guard interval > 0, interval.isFinite else { return }
        let started = state.withLock { state -> Bool in
            if state.running { return false }
            state.running = true
            return true
        }
        guard started else { return }
        let task = Task.detached {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                guard !Task.isCancelled else { return }
                tick(terminal: terminal)
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
        state.withLock { $0.running = false }
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
        state.withLock { state in
            var text = "kapsoctl: \(state.phase): "
            text += state.phase == "applying" ? "\(state.writesDone)/\(state.writesTotal) writes done"
                : "\(state.reads) request\(state.reads == 1 ? "" : "s") answered"
            if let until = state.waitUntil, until > now {
                text += "; waiting \(Int(until.timeIntervalSince(now).rounded(.up))) s \(state.waitReason)"
            }
            return text
        }
    }

    private static func tick(terminal: Bool) {
        let text = line()
        if terminal {
            Console.showStatus(text)
            return
        }
        let changed = state.withLock { state -> Bool in
            if state.lastPrinted == text { return false }
            state.lastPrinted = text
            return true
        }
        if changed { Console.error(text) }
    }
}
