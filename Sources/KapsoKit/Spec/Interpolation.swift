/// Whether a `${VAR}` whose variable is not set fails the spec (plan, apply) or is a note
/// (`validate`, which runs where secrets are not available, such as pull requests from forks).
public enum UnsetVariables: Sendable, Equatable {
    case error, note
}

/// `${VAR}` substitution from the environment; `$${` writes a literal `${`.
enum Interpolation {
    struct Result: Equatable {
        var text: String
        /// The values substituted from the environment (secrets, wherever they appear).
        var values: [String] = []
        /// Variables that are not set, with the offset of their `${` (only when unset ones are
        /// allowed; the reference is then kept as written).
        var unset: [(name: String, offset: Int)] = []
        /// True when at least one `${VAR}` was substituted: the value then counts as sensitive.
        var usedVariables: Bool { !values.isEmpty || !unset.isEmpty }

        static func == (a: Result, b: Result) -> Bool {
            a.text == b.text && a.values == b.values && a.unset.map(\.name) == b.unset.map(\.name) && a.unset.map(\.offset) == b.unset.map(\.offset)
        }
    }

    struct Failure: Error, Equatable {
        /// Offset of the offending `${` in the scalar's text, in characters.
        var offset: Int
        var message: String
    }

    /// `allowUnset`: an unset variable is kept as written (`${NAME}`) and listed in `unset`
    /// instead of failing (`validate` without secrets).
    static func expand(_ text: String, environment: [String: String], allowUnset: Bool = false) throws(Failure) -> Result {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return Result(text: text) }
        let chars = Array(text)
        var out = ""
        var values: [String] = []
        var unset: [(name: String, offset: Int)] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                out += "${"
                i += 3
            } else if c == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                    throw Failure(offset: i, message: "unterminated '${'; write '${NAME}', or '$${' for a literal '${'")
                }
                let name = String(chars[(i + 2)..<close])
                guard isValidName(name) else {
                    throw Failure(offset: i, message: "'${\(name.prefix(40))}' is not a valid variable reference; names are letters, digits and '_', not starting with a digit")
                }
                if let value = environment[name] {
                    out += value
                    values.append(value)
                } else if allowUnset {
                    out += "${\(name)}"
                    unset.append((name, i))
                } else {
                    throw Failure(offset: i, message: "environment variable \(name) is not set")
                }
                i = close + 1
            } else {
                out.append(c)
                i += 1
            }
        }
        return Result(text: out, values: values, unset: unset)
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
