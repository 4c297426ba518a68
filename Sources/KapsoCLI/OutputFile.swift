import Foundation

/// Writes an output file (`plan --out`, `export -o`) the way an operator expects:
///
/// - a symlink is followed: the file it points to is written, the link stays;
/// - a regular file (or a new one) is replaced atomically: written to a temporary file in the
///   same directory, flushed to disk, then renamed over it (keeping its permissions), so a failed
///   write never leaves half a file;
/// - anything else that can be written (a FIFO, a character device such as `/dev/stdout`) is
///   written in place, never replaced by a regular file;
/// - a directory, or one of the run's input files, is refused.
///
/// Every write, flush and close is checked: a full disk or a closed reader is an error.
enum OutputFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func write(_ text: String, to path: String, inputs: [String] = []) throws(Failure) {
        let target = try resolve(path)
        for input in inputs where sameFile(target, input) {
            throw Failure(description: "\(path) is the input spec file \(input); choose another output file")
        }
        var info = stat()
        if stat(target, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFREG: try replace(target, with: text, mode: info.st_mode & 0o7777, shownAs: path)
            case S_IFDIR: throw Failure(description: "cannot write \(path): it is a directory")
            default: try writeInPlace(target, text, shownAs: path)
            }
        } else {
            try replace(target, with: text, mode: nil, shownAs: path)
        }
    }

    /// Appends to a file that others write too (`$GITHUB_STEP_SUMMARY`): opened with `O_APPEND`,
    /// created when missing, every byte checked.
    static func append(_ text: String, to path: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure("cannot open \(path)") }
        if let reason = writeAll(fd, text) {
            close(fd)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
        guard close(fd) == 0 else { throw failure("cannot write \(path)") }
    }

    /// The path a symlink chain ends at (which need not exist yet).
    private static func resolve(_ path: String) throws(Failure) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else {
                throw Failure(description: "cannot read the symbolic link \(current)")
            }
            let directory = (current as NSString).deletingLastPathComponent
            current = destination.hasPrefix("/") || directory.isEmpty ? destination : directory + "/" + destination
        }
        throw Failure(description: "cannot write \(path): too many levels of symbolic links")
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var x = stat(), y = stat()
        guard stat(a, &x) == 0, stat(b, &y) == 0 else { return false }
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino
    }

    private static func writeInPlace(_ path: String, _ text: String, shownAs shown: String) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("cannot open \(shown)") }
        if let reason = writeAll(fd, text) {
            close(fd)
            throw Failure(description: "cannot write \(shown): \(reason)")
        }
        guard close(fd) == 0 else { throw failure("cannot write \(shown)") }
    }

    private static func replace(_ path: String, with text: String, mode: mode_t?, shownAs shown: String) throws(Failure) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.\(name).kapsoctl-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("cannot create a file next to \(shown)") }
        let temporary = String(cString: template)
        func abandon(_ reason: String) -> Failure {
            close(fd)
            unlink(temporary)
            return Failure(description: "cannot write \(shown): \(reason)")
        }
        let permissions: mode_t
        if let mode {
            permissions = mode
        } else {
            let mask = umask(0)
            umask(mask)
            permissions = 0o666 & ~mask
        }
        guard fchmod(fd, permissions) == 0 else { throw abandon(reason()) }
        if let problem = writeAll(fd, text) { throw abandon(problem) }
        guard fsync(fd) == 0 else { throw abandon(reason()) }
        guard close(fd) == 0 else {
            unlink(temporary)
            throw failure("cannot write \(shown)")
        }
        guard rename(temporary, path) == 0 else {
            let why = reason()
            unlink(temporary)
            throw Failure(description: "cannot write \(shown): \(why)")
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }

    private static func failure(_ what: String) -> Failure {
        Failure(description: "\(what): \(reason())")
    }
}

/// Writes every byte of `text` to `fd`, retrying short and interrupted writes; returns why it
/// failed (`strerror`), or nil.
func writeAll(_ fd: Int32, _ text: String) -> String? {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            return String(cString: strerror(errno))
        }
        offset += written
    }
    return nil
}
