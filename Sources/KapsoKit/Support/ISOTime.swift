import Foundation

/// ISO 8601 timestamps (RFC 3339: `2025-01-01T00:00:00Z`, optionally with fractional seconds and a
/// `±hh:mm` offset), written and read by hand. Foundation's `ISO8601DateFormatter` builds an ICU
/// formatter each time one is made, and the simulator (a timestamp per stored webhook) and the
/// executor (timestamps compared while sorting) made thousands a run.
public enum ISOTime {
    /// `date` in UTC: whole seconds, or to the nearest millisecond when `fractional` (as
    /// `ISO8601DateFormatter` writes them).
    public static func string(_ date: Date, fractional: Bool = false) -> String {
        let interval = date.timeIntervalSince1970
        var whole = time_t(interval.rounded(.down))
        var milliseconds = fractional ? Int(((interval - Double(whole)) * 1000).rounded()) : 0
        if milliseconds >= 1000 {
            whole += 1
            milliseconds -= 1000
        }
        var parts = tm()
        gmtime_r(&whole, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = Int(parts.tm_year) + 1900
        let yearText = year >= 0 && year < 10_000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        var out = "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if fractional {
            out += "." + (milliseconds < 10 ? "00" : milliseconds < 100 ? "0" : "") + String(milliseconds)
        }
        return out + "Z"
    }

    /// Seconds since 1970 of an RFC 3339 timestamp; nil for anything else.
    public static func seconds(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var value = 0
            for byte in b[from..<(from + count)] {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        func byte(_ at: Int, _ expected: Character) -> Bool { at < b.count && b[at] == expected.asciiValue! }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"), let day = digits(8, 2),
              b.count > 10, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index, ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, b[index] >= 48, b[index] <= 57 {
                fraction += Double(b[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if byte(index, "Z") || byte(index, "z") {
            index += 1
        } else if byte(index, "+") || byte(index, "-") {
            let sign = byte(index, "-") ? -1 : 1
            guard let hours = digits(index + 1, 2) else { return nil }
            var minutesAt = index + 3
            if byte(minutesAt, ":") { minutesAt += 1 }
            guard let minutes = digits(minutesAt, 2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
            index = minutesAt + 2
        } else {
            return nil
        }
        guard index == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Double(timegm(&parts) - offset) + fraction
    }
}
