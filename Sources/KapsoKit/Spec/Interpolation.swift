/// Whether a `${VAR}` whose variable is not set fails the spec (plan, apply) or is a note
/// (`validate`, which runs where secrets are not available, such as pull requests from forks).
public enum UnsetVariables: Sendable, Equatable {
    case error, note
}

/// `${VAR}` substitution from the environment (the variables ``SpecVariables`` lets a spec read);
/// `$${` writes a literal `${`.
enum Interpolation {
    struct Result: Equatable {
        var text: String
        /// The text with plain variables (``SpecVariables``'s `--var`s) substituted and every other
        /// reference kept as written: what a saved plan resolves again from the environment.
        var template: String
        /// The values substituted from the environment (secrets, wherever they appear).
        var values: [String] = []
        /// Variables that are not set, with the offset of their `${` (only when unset ones are
        /// allowed; the reference is then kept as written).
        var unset: [(name: String, offset: Int)] = []
        /// True when at least one `${VAR}` was substituted: the value then counts as sensitive.
        var usedVariables: Bool { !values.isEmpty || !unset.isEmpty }

        static func == (a: Result, b: Result) -> Bool {
            a.text == b.text && a.template == b.template && a.values == b.values && a.unset.map(\.name) == b.unset.map(\.name) && a.unset.map(\.offset) == b.unset.map(\.offset)
        }
    }

    struct Failure: Error, Equatable {
        /// Offset of the offending `${` in the scalar's text, in characters.
        var offset: Int
        var message: String
    }

    /// `allowUnset`: an unset variable is kept as written (`${NAME}`) and listed in `unset`
    /// instead of failing (`validate` without secrets).
    static func expand(_ text: String, variables: SpecVariables, allowUnset: Bool = false) throws(Failure) -> Result {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return Result(text: text, template: text) }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var template: [UInt8] = []
        var values: [String] = []
        var unset: [(name: String, offset: Int)] = []
        /// The offset of byte `index` in characters, as positions in messages count.
        func characters(before index: Int) -> Int { String(decoding: bytes[..<index], as: UTF8.self).count }
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == dollar, i + 2 < bytes.count, bytes[i + 1] == dollar, bytes[i + 2] == open {
                out += [dollar, open]
                template += bytes[i..<(i + 3)]
                i += 3
            } else if byte == dollar, i + 1 < bytes.count, bytes[i + 1] == open {
                guard let end = bytes[(i + 2)...].firstIndex(of: close) else {
                    throw Failure(offset: characters(before: i), message: "unterminated '${'; write '${NAME}', or '$${' for a literal '${'")
                }
                let name = String(decoding: bytes[(i + 2)..<end], as: UTF8.self)
                guard isValidName(name) else {
                    throw Failure(offset: characters(before: i), message: "'${\(name.prefix(40))}' is not a valid variable reference; names are letters, digits and '_', not starting with a digit")
                }
                let found: SpecVariables.Found
                switch variables.lookup(name) {
                case .success(let value): found = value
                case .failure(let refusal): throw Failure(offset: characters(before: i), message: "'${\(name)}' cannot be used: " + refusal.message)
                }
                switch found {
                case .plain(let value):
                    out += value.utf8
                    // Written as a literal would be: a `${` in the value stays text.
                    template += value.replacingOccurrences(of: "${", with: "$${").utf8
                case .secret(let value):
                    out += value.utf8
                    template += bytes[i...end]
                    values.append(value)
                case .unset where allowUnset:
                    out += bytes[i...end]
                    template += bytes[i...end]
                    unset.append((name, characters(before: i)))
                case .unset:
                    throw Failure(offset: characters(before: i), message: "environment variable \(name) is not set")
                }
                i = end + 1
            } else {
                out.append(byte)
                template.append(byte)
                i += 1
            }
        }
        return Result(text: String(decoding: out, as: UTF8.self), template: String(decoding: template, as: UTF8.self),
                      values: values, unset: unset)
    }

    static func isValidName(_ name: String) -> Bool {
        func letter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        guard let first = name.utf8.first, letter(first) else { return false }
        return name.utf8.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }
}
