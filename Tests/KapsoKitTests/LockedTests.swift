import Dispatch
import Testing
@testable import KapsoKit

/// `Locked` is how state is shared across threads; a `Mutex` in a `static let` did not exclude on
/// Linux (Swift 6.3.1) and crashed the CLI. This is the pattern that crashed: strings rewritten
/// and read from several threads at once, through a `static let`.
@Suite struct LockedTests {
    private struct State: Sendable {
        var line = ""
        var count = 0
    }

    private static let shared = Locked(State())

    @Test func excludesThroughAStaticLet() {
        let torn = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var tornHere = 0
            for i in 0..<20_000 {
                let text = Self.shared.withLock { state -> String in
                    state.count += 1
                    state.line = "kapsoctl: applying: \(i)/900 writes done; waiting \(thread) s on the rate limit (429)"
                    return state.line
                }
                if !text.hasPrefix("kapsoctl: applying: ") { tornHere += 1 }
            }
            // Counted here and expected once: 160,000 expectations cost more than the loop they check.
            torn.withLock { $0 += tornHere }
        }
        #expect(torn.withLock { $0 } == 0)
        #expect(Self.shared.withLock { $0.count } == 8 * 20_000)
    }
}
