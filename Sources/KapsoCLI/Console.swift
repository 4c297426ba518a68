import Foundation
import KapsoKit
import Synchronization

/// Where the CLI writes: data to stdout, diagnostics to stderr.
///
/// Every line passes two rules on its way out: text is escaped (``HumanText``: no control or
/// bidirectional character from a spec, the environment or the server reaches a terminal raw; only
/// the CLI's own colour codes pass, and only when colour is on), and known secrets are masked
/// (``Redactor``). A failed write to stdout (a full disk, a closed pipe) is recorded, later writes
/// are skipped, and the command ends with exit 1 and a message (see `Kapsoctl.runMain`).
enum Console {
    private struct State: Sendable {
        var redactor = Redactor([String]())
        var colour = false
        var outputFailure: String?
        /// True once apply has started writing to the server: its exit code then says what was written.
        var serverWritten = false
        /// `--format github`: errors are also written as workflow commands on stdout.
        var annotating = false
        /// The width of the live progress line on the terminal (stderr), to be cleared before other
        /// output; 0 when none is shown.
        var statusWidth = 0
    }

    private static let state = Locked(State())

    /// Masks these values (and everything added before) in all later output.
    static func protect(_ secrets: some Sequence<String>) {
        state.withLock { $0.redactor = $0.redactor.adding(secrets) }
    }

    /// Lets the text renderer's colour codes through on stdout.
    static func allowColour() {
        state.withLock { $0.colour = true }
    }

    /// A line (or `text` + `terminator`) on stdout.
    static func output(_ text: String, terminator: String = "\n") {
        let (redactor, colour, failed) = state.withLock { ($0.redactor, $0.colour, $0.outputFailure != nil) }
        guard !failed else { return }
        clearStatus()
        let safe = colour ? HumanText.escapeKeepingColour(text + terminator) : HumanText.escape(text + terminator, keepNewlines: true)
        if let failure = writeAll(STDOUT_FILENO, WorkflowCommands.neutralize(redactor.redact(safe))) {
            state.withLock { $0.outputFailure = $0.outputFailure ?? failure }
        }
    }

    /// A line (or `text` + `terminator`) on stderr (failures to write there cannot be reported anywhere).
    static func error(_ text: String, terminator: String = "\n") {
        clearStatus()
        let redactor = state.withLock { $0.redactor }
        _ = writeAll(STDERR_FILENO, WorkflowCommands.neutralize(redactor.redact(HumanText.escape(text + terminator, keepNewlines: true))))
    }

    /// One workflow command kapsoctl itself made (``WorkflowCommands``, which escaped its data), on
    /// stdout: the only kind of line not neutralized.
    static func command(_ line: String) {
        let (redactor, failed) = state.withLock { ($0.redactor, $0.outputFailure != nil) }
        guard !failed else { return }
        clearStatus()
        let oneLine = HumanText.escape(line).replacingOccurrences(of: "\n", with: "%0A")
        if let failure = writeAll(STDOUT_FILENO, redactor.redact(oneLine) + "\n") {
            state.withLock { $0.outputFailure = $0.outputFailure ?? failure }
        }
    }

    /// Draws the live progress line on stderr (a terminal) over the last one. Only a carriage
    /// return and spaces: no escape sequence, so it works on any terminal and honours `NO_COLOR`.
    static func showStatus(_ text: String) {
        let (line, previous) = state.withLock { state -> (String, Int) in
            let line = state.redactor.redact(HumanText.escape(text))
            let previous = state.statusWidth
            state.statusWidth = line.count
            return (line, previous)
        }
        _ = writeAll(STDERR_FILENO, "\r" + line + String(repeating: " ", count: max(0, previous - line.count)))
    }

    /// Clears the live progress line, if one is shown.
    static func clearStatus() {
        let width = state.withLock { state -> Int in
            let width = state.statusWidth
            state.statusWidth = 0
            return width
        }
        if width > 0 { _ = writeAll(STDERR_FILENO, "\r" + String(repeating: " ", count: width) + "\r") }
    }

    /// Masks known secrets in bytes bound for a file.
    static func redacted(_ text: String) -> String {
        state.withLock { $0.redactor }.redact(text)
    }

    /// Errors are also reported as GitHub workflow commands (annotations) from now on.
    static func annotateErrors() {
        state.withLock { $0.annotating = true }
    }

    static var annotating: Bool { state.withLock { $0.annotating } }

    /// Spec notes: compiler-style lines on stderr, or annotations on stdout.
    static func notes(_ notes: [SpecDiagnostic]) {
        for note in notes {
            if annotating { command(WorkflowCommands.annotation(note)) } else { error(note.description) }
        }
    }

    static func markServerWritten() {
        state.withLock { $0.serverWritten = true }
    }

    /// Why stdout could not be written (checked again by closing it), or nil.
    static func finishOutput() -> (failure: String?, serverWritten: Bool) {
        if state.withLock({ $0.outputFailure == nil }), close(STDOUT_FILENO) != 0, errno != EBADF {
            let reason = String(cString: strerror(errno))
            state.withLock { $0.outputFailure = reason }
        }
        return state.withLock { ($0.outputFailure, $0.serverWritten) }
    }
}

extension Redactor {
    /// This redactor's secrets and `more`.
    func adding(_ more: some Sequence<String>) -> Redactor {
        Redactor(values + Array(more))
    }
}
