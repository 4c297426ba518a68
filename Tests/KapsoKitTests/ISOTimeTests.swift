import Foundation
import Testing
@testable import KapsoKit
import KapsoSimulator

/// Timestamps written and read by hand agree with Foundation's ISO 8601 formatter.
@Suite struct ISOTimeTests {
    /// Whole seconds as Foundation writes them, with and without milliseconds; and any instant
    /// read back to within half a millisecond.
    @Test func writesWhatFoundationWrites() {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var random = SeededGenerator(seed: 8601)
        var seconds = [0, 1_735_689_600, 951_782_400, 4_102_444_799]
        for _ in 0..<400 { seconds.append(Int.random(in: 0..<4_102_444_800, using: &random)) }
        for second in seconds {
            let date = Date(timeIntervalSince1970: Double(second))
            #expect(ISOTime.string(date) == plain.string(from: date))
            #expect(ISOTime.string(date, fractional: true) == fractional.string(from: date))
            #expect(ISOTime.seconds(plain.string(from: date)) == Double(second))
            let instant = Date(timeIntervalSince1970: Double(second) + Double.random(in: 0..<1, using: &random))
            let written = ISOTime.string(instant, fractional: true)
            #expect(abs((ISOTime.seconds(written) ?? 0) - instant.timeIntervalSince1970) <= 0.0005, "\(written)")
            #expect(abs((fractional.date(from: written)?.timeIntervalSince1970 ?? 0) - instant.timeIntervalSince1970) <= 0.0005, "\(written)")
        }
    }

    @Test func readsOffsetsAndFractions() {
        #expect(ISOTime.seconds("2025-01-01T00:00:00Z") == 1_735_689_600)
        #expect(ISOTime.seconds("2025-01-01T01:30:00+01:30") == 1_735_689_600)
        #expect(ISOTime.seconds("2024-12-31T19:00:00-0500") == 1_735_689_600)
        #expect(ISOTime.seconds("2025-01-01T00:00:00.250Z") == 1_735_689_600.25)
        for bad in ["", "2025-01-01", "2025-01-01T00:00:00", "2025-13-01T00:00:00Z", "2025-01-01T00:00:00Zjunk", "2025-01-01T00:00:00.Z",
                    "2025-01-01T24:00:00Z", "yesterday"] {
            #expect(ISOTime.seconds(bad) == nil, "\(bad)")
        }
    }
}
