import Foundation
import KapsoKit
import Synchronization

/// Ctrl-C, SIGTERM (a cancelled CI job, `timeout`) or SIGHUP during apply: the first stops new
/// requests (those in flight finish and the report is printed, exit 3 when something was left
/// undone); a second exits at once, saying what had finished by then.
final class Interrupts: @unchecked Sendable {
    private let count = Mutex(0)
    private let finished = Mutex<[ApplyReport.Entry]>([])
    private let total: Int
    private var sources: [DispatchSourceSignal] = []
    /// One serial queue for every signal: handlers run one at a time (on a concurrent queue, two
    /// signals at once printed both messages at once, and the second could exit mid-sentence of
    /// the first). Which of two signals sent together is taken first is not known.
    private let queue = DispatchQueue(label: "kapsoctl.signals")
    private static let signals: [(Int32, String)] = [(SIGINT, "Ctrl-C"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")]

    init(total: Int) {
        self.total = total
        for (number, name) in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.received(number, name) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ number: Int32, _ name: String) {
        let seen = count.withLock { value in
            value += 1
            return value
        }
        if seen == 1 {
            Console.error("\n\(name): no new request starts; waiting for those in flight, then the report. A second signal exits at once.")
            return
        }
        let done = finished.withLock { $0 }
        for entry in done { Console.error("  \(entry.outcome.word)  \(entry.write.action.rawValue) \(entry.write.displayURL)") }
        Console.error("\(name) again: exiting at once; \(done.count) of \(total) writes had finished (listed above), the others were in flight (outcome unknown) or not started. `kapsoctl plan` shows what the server holds.")
        Progress.stop()
        exit(done.contains { if case .done = $0.outcome { true } else { false } } ? 3 : 128 + number)
    }

    var requested: Bool { count.withLock { $0 > 0 } }

    /// A write whose outcome is known (for the report of a second signal).
    func record(_ entry: ApplyReport.Entry) {
        finished.withLock { $0.append(entry) }
    }

    func stop() {
        for source in sources { source.cancel() }
        for (number, _) in Self.signals { signal(number, SIG_DFL) }
    }
}
