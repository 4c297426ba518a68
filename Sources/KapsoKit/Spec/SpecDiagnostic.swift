/// One error (or note) in a spec file, at a position, with the source line for the caret snippet.
public struct SpecDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// An error makes the spec invalid; a note is told and does not.
    public enum Severity: String, Sendable {
        case error, note
    }

    public var severity: Severity = .error
    public var file: String
    public var line: Int
    public var column: Int
    /// What is wrong and what is expected; never contains a secret value.
    public var message: String
    /// The text of the offending line (already redacted), when known.
    public var sourceLine: String?

    public init(file: String, line: Int, column: Int, message: String, sourceLine: String? = nil, severity: Severity = .error) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
        self.sourceLine = sourceLine
    }

    /// `path:line:col: error: message`, the compiler-style first line (`note:` for a note).
    /// `path: error: message` when the problem concerns the whole file (line 0).
    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(severity.rawValue): \(message)" : "\(file): \(severity.rawValue): \(message)"
    }

    /// The compiler-style line plus the source line and a caret under the column. A long line is
    /// shown as a window of 120 characters around the column.
    public func rendered() -> String {
        guard let sourceLine else { return description }
        let gutter = String(line)
        let pad = String(repeating: " ", count: gutter.count)
        let chars = Array(sourceLine.replacingOccurrences(of: "\t", with: " "))
        let target = max(0, min(column - 1, chars.count))
        let width = 120
        let start = chars.count > width ? max(0, min(target - width / 2, chars.count - width)) : 0
        let end = min(chars.count, start + width)
        let shown = (start > 0 ? "…" : "") + String(chars[start..<end]) + (end < chars.count ? "…" : "")
        let caretIndent = String(repeating: " ", count: target - start + (start > 0 ? 1 : 0))
        return "\(description)\n \(gutter) | \(shown)\n \(pad) | \(caretIndent)^"
    }
}

/// Every error found in the spec files of one run; thrown when any file is invalid.
public struct SpecFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SpecDiagnostic]

    public init(_ diagnostics: [SpecDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// All diagnostics with their snippets, then a count.
    public func rendered() -> String {
        let count = diagnostics.count
        return diagnostics.map { $0.rendered() }.joined(separator: "\n")
            + "\n\(count) error\(count == 1 ? "" : "s") found."
    }
}

/// The bytes of one spec file, and its lines on demand for diagnostics.
final class SourceText: @unchecked Sendable {
    let path: String
    let bytes: [UInt8]
    private lazy var lineStarts: [Int] = {
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(index + 1)
        }
        return starts
    }()

    /// A leading UTF-8 byte order mark (which some editors write) is dropped: it is not content.
    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// True when the file looks like a spec: a line starts with the top-level `version:` key
    /// (which every spec has). Only then are its lines quoted under errors: a file that is not a
    /// spec (a credentials file a link or a mistaken `-f` points at) is never shown.
    private lazy var isSpecLike: Bool = {
        for start in lineStarts {
            var i = start
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") { i += 1 }
            guard bytes[i...].starts(with: Array("version".utf8)) else { continue }
            i += 7
            if i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") { i += 1 }
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 }
            if i < bytes.count, bytes[i] == UInt8(ascii: ":") { return true }
        }
        return false
    }()

    /// The 1-based line `number`, redacted; nil when out of range or the file is not spec-like.
    func line(_ number: Int) -> String? {
        guard isSpecLike, number >= 1, number <= lineStarts.count else { return nil }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard end >= start else { return "" }
        let text = String(decoding: bytes[start..<end], as: UTF8.self)
        return Sensitivity.redactSourceLine(String(text.prefix(10_000)))
    }

    func diagnostic(at mark: Mark, _ message: String, severity: SpecDiagnostic.Severity = .error) -> SpecDiagnostic {
        SpecDiagnostic(file: path, line: mark.line, column: mark.column, message: message, sourceLine: line(mark.line), severity: severity)
    }

    /// A YAML syntax error; when a tab in the line's indentation is the cause, it says so and how
    /// to fix it (libyaml's own words, "found character that cannot start any token", do not).
    func syntaxDiagnostic(at mark: Mark, _ message: String) -> SpecDiagnostic {
        guard mark.line >= 1, mark.line <= lineStarts.count else { return diagnostic(at: mark, message) }
        let start = lineStarts[mark.line - 1]
        var indent = start
        while indent < bytes.count, bytes[indent] == UInt8(ascii: " ") || bytes[indent] == UInt8(ascii: "\t") { indent += 1 }
        guard let tab = bytes[start..<indent].firstIndex(of: UInt8(ascii: "\t")) else { return diagnostic(at: mark, message) }
        let column = tab - start + 1
        return diagnostic(at: Mark(line: mark.line, column: column),
                          "a tab in the indentation: YAML indents with spaces only; replace the tab at column \(column) with spaces")
    }
}
