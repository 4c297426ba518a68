/// GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`), which a runner turns
/// into annotations on the pull request's files. Values are escaped as the runner unescapes them,
/// so no text (a spec's, the server's) can end a command early or start another.
public enum WorkflowCommands {
    public enum Level: String, Sendable {
        case error, warning, notice
    }

    /// One command line. `file`, `line`, `col` and `title` are optional properties.
    public static func annotation(_ level: Level, _ message: String, file: String? = nil, line: Int? = nil,
                                  column: Int? = nil, title: String? = nil) -> String {
        var properties: [String] = []
        if let file { properties.append("file=" + escapeProperty(file)) }
        if let line, line > 0 {
            properties.append("line=\(line)")
            if let column, column > 0 { properties.append("col=\(column)") }
        }
        if let title { properties.append("title=" + escapeProperty(title)) }
        let head = properties.isEmpty ? "::\(level.rawValue)" : "::\(level.rawValue) " + properties.joined(separator: ",")
        return head + "::" + escapeData(message)
    }

    /// A spec diagnostic as an annotation on its file and position (a note is a `notice`).
    public static func annotation(_ diagnostic: SpecDiagnostic) -> String {
        annotation(diagnostic.severity == .note ? .notice : .error, diagnostic.message,
                   file: diagnostic.file, line: diagnostic.line, column: diagnostic.column, title: "kapsoctl")
    }

    /// Lines between `stopCommands(token)` and `resumeCommands(token)` are not read as commands:
    /// the plan body, which quotes the server's text, is printed between them.
    public static func stopCommands(_ token: String) -> String { "::stop-commands::\(token)" }
    public static func resumeCommands(_ token: String) -> String { "::\(token)::" }

    /// `text` made unable to act as a workflow command: a line that starts (after blanks) with
    /// `::`, which the runner would read as a command, gets its first colon written as `\u003A`,
    /// and `##[` (the runner's older command form, read anywhere in a line) becomes `#\u0023[`.
    /// Every line kapsoctl prints passes this but its own commands, so no text from a spec, the
    /// environment or the server can forge an annotation, stop the runner reading commands, or
    /// switch off masking (`::add-mask::`, `::stop-commands::`).
    public static func neutralize(_ text: String) -> String {
        guard text.contains("::") || text.contains("##[") else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var line = String(line).replacingOccurrences(of: "##[", with: "#\\u0023[")
            if let start = line.firstIndex(where: { $0 != " " && $0 != "\t" }), line[start...].hasPrefix("::") {
                line.replaceSubrange(start...start, with: "\\u003A")
            }
            return line
        }
        return lines.joined(separator: "\n")
    }

    /// The message part: `%`, CR and LF percent-encoded.
    static func escapeData(_ text: String) -> String {
        var out = ""
        for character in text.unicodeScalars {
            switch character {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A property value: as data, and `:` and `,` too.
    static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}
