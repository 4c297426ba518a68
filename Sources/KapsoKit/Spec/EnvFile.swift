import Foundation

/// A dotenv file (`--env-file`), read as `export --env-template` writes it and as people write
/// them: `NAME=value` lines, blank lines and `#` comments, an optional `export ` prefix, values
/// unquoted (trimmed, ending at ` #`), in single quotes (literal) or in double quotes (with `\n`,
/// `\t`, `\r`, `\"`, `\\` and `\$` escapes); a quoted value may span lines. A later line for a name
/// replaces an earlier one. Errors name `file:line:column` and never quote the line: its value is
/// a secret.
///
/// The file gives variables for `${VAR}` (and `KAPSO_API_KEY`); it may not set kapsoctl's other
/// settings (`KAPSO_API_URL`, `KAPSOCTL_*`), which decide where the key and the secrets are sent or
/// which variables a spec may read: a file in a pull request's checkout could otherwise change them.
public enum EnvFile {
    /// At most 1 MiB: an env file is a few lines.
    public static let maxBytes = 1 << 20

    /// What a file holds: secrets for `${VAR}` (`--env-file`), or plain variables (`--var-file`),
    /// whose names may not be a reserved variable's.
    public enum Purpose: Sendable {
        case secrets, plainVariables
    }

    /// The variables of the file at `path`, or every problem found in it.
    public static func load(_ path: String, for purpose: Purpose = .secrets) -> Result<[String: String], SpecFailure> {
        switch SpecLoader.read(path, limits: YAMLLimits(maxBytes: maxBytes)) {
        case .failure(let problem): return .failure(SpecFailure([problem]))
        case .success(let source): return parse(source.bytes, path: path, for: purpose)
        }
    }

    /// The variables of `bytes` (the file `path`), or every problem found.
    public static func parse(_ bytes: [UInt8], path: String, for purpose: Purpose = .secrets) -> Result<[String: String], SpecFailure> {
        var reader = Reader(bytes: bytes)
        var variables: [String: String] = [:]
        var problems: [SpecDiagnostic] = []
        func problem(_ line: Int, _ column: Int, _ message: String) {
            problems.append(SpecDiagnostic(file: path, line: line, column: column, message: message))
        }
        while !reader.atEnd {
            reader.skip { $0 == 0x20 || $0 == 0x09 }
            if reader.atEnd { break }
            if reader.peek == 0x0A || reader.peek == 0x0D || reader.peek == UInt8(ascii: "#") {
                reader.skipLine()
                continue
            }
            let (line, column) = (reader.line, reader.column)
            var name = reader.take { $0 != UInt8(ascii: "=") && $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
            if name == "export", reader.peek == 0x20 || reader.peek == 0x09 {
                reader.skip { $0 == 0x20 || $0 == 0x09 }
                name = reader.take { $0 != UInt8(ascii: "=") && $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
            }
            reader.skip { $0 == 0x20 || $0 == 0x09 }
            guard reader.peek == UInt8(ascii: "=") else {
                problem(line, column, "a line of an env file is NAME=value; this one has no '='")
                reader.skipLine()
                continue
            }
            reader.advance()
            guard isName(name) else {
                problem(line, column, "'\(HumanText.escape(String(name.prefix(40))))' is not a variable name (letters, digits and _, not starting with a digit)")
                reader.skipLine()
                continue
            }
            reader.skip { $0 == 0x20 || $0 == 0x09 }
            let valueLine = reader.line, valueColumn = reader.column
            var value: String
            switch reader.peek {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                let quote = reader.peek!
                reader.advance()
                guard let quoted = reader.quoted(until: quote, escapes: quote == UInt8(ascii: "\"")) else {
                    problem(valueLine, valueColumn, "the quote opened here is never closed")
                    continue
                }
                value = quoted
                reader.skip { $0 == 0x20 || $0 == 0x09 }
                if let next = reader.peek, next != 0x0A, next != 0x0D, next != UInt8(ascii: "#") {
                    problem(reader.line, reader.column, "text after the closing quote; quote the whole value")
                }
            default:
                value = reader.unquoted()
            }
            reader.skipLine()
            if let refusal = purpose == .secrets ? refusal(name) : plainRefusal(name) {
                problem(line, column, refusal)
                continue
            }
            value = value.replacingOccurrences(of: "\r\n", with: "\n")
            variables[name] = value
        }
        return problems.isEmpty ? .success(variables) : .failure(SpecFailure(problems))
    }

    /// Why `name` may not come from an env file, or nil.
    static func refusal(_ name: String) -> String? {
        if name == "KAPSO_API_URL" {
            return "KAPSO_API_URL cannot come from an env file: it decides where the API key is sent; set it in the environment or pass --api-url"
        }
        if name.hasPrefix("KAPSOCTL_") {
            return "\(name) cannot come from an env file: kapsoctl's settings (which variables a spec may read, where verify sends) are set in the environment"
        }
        return nil
    }

    /// Why `name` cannot be a plain variable (`--var`, `--var-file`), or nil: the names a spec may
    /// never read (the API key, kapsoctl's, the CI's and the shell's variables) are not taken over.
    public static func plainRefusal(_ name: String) -> String? {
        SpecVariables.reservedReason(name).map { "\(name) \($0); a plain variable cannot take its name" }
    }

    public static func isName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// A cursor over the file's bytes that counts lines and columns.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1
        var column = 1

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func advance() {
            if bytes[index] == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += 1
        }

        mutating func skip(while matches: (UInt8) -> Bool) {
            while let byte = peek, matches(byte) { advance() }
        }

        mutating func take(while matches: (UInt8) -> Bool) -> String {
            let start = index
            skip(while: matches)
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// To the start of the next line.
        mutating func skipLine() {
            skip { $0 != 0x0A }
            if !atEnd { advance() }
        }

        /// An unquoted value: to the end of the line or a ` #` comment, trailing blanks trimmed.
        mutating func unquoted() -> String {
            var out: [UInt8] = []
            while let byte = peek, byte != 0x0A {
                if byte == UInt8(ascii: "#"), let last = out.last, last == 0x20 || last == 0x09 { break }
                out.append(byte)
                advance()
            }
            while let last = out.last, last == 0x20 || last == 0x09 || last == 0x0D { out.removeLast() }
            return String(decoding: out, as: UTF8.self)
        }

        /// The text up to the closing `quote` (consumed); nil when the file ends first.
        mutating func quoted(until quote: UInt8, escapes: Bool) -> String? {
            var out: [UInt8] = []
            while let byte = peek {
                advance()
                if byte == quote { return String(decoding: out, as: UTF8.self) }
                guard escapes, byte == UInt8(ascii: "\\"), let next = peek else {
                    out.append(byte)
                    continue
                }
                advance()
                switch next {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "$"): out.append(next)
                default: out += [byte, next]
                }
            }
            return nil
        }
    }
}
