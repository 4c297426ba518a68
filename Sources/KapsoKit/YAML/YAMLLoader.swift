/// Bounds that keep any input from exhausting memory, stack or time.
struct YAMLLimits: Sendable {
    /// Largest file accepted, in bytes.
    var maxBytes = 32 << 20
    /// Deepest nesting of mappings and sequences.
    var maxDepth = 64
    /// Most nodes that aliases may add to the document in total (the "billion laughs" bound).
    var maxAliasNodes = 1_000_000
    /// Longest scalar, in bytes.
    var maxScalarBytes = 64 << 10

    static let standard = YAMLLimits()
}

/// A problem found while loading YAML, at a position in the file (which the caller names).
public struct YAMLProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var mark: Mark
    public var message: String

    public var description: String { "\(mark.line):\(mark.column): \(message)" }
}

/// A loaded document: its root node and the problems that did not stop loading (duplicate keys, tags).
struct YAMLDocument: Sendable {
    var root: YAMLNode
    var problems: [YAMLProblem]
}

/// Loads one YAML document into a ``YAMLNode`` tree from libyaml's checked events
/// (``LibYAMLEvents`` in tree mode).
///
/// Aliases are resolved and `<<` merge keys applied while loading; duplicate keys are reported at the
/// duplicate. Scalars are kept as text plus style: typing is the spec decoder's job, so `yes` or `0x1F`
/// never silently become a boolean or a number.
enum YAMLLoader {
    /// Loads `bytes`, throwing the first fatal problem (syntax, size, depth, aliases).
    static func load(_ bytes: [UInt8], limits: YAMLLimits = .standard) throws(YAMLProblem) -> YAMLDocument {
        if bytes.count > limits.maxBytes {
            throw YAMLProblem(mark: Mark(line: 1, column: 1),
                              message: "file is \(bytes.count) bytes; the limit is \(limits.maxBytes) bytes")
        }
        var builder = TreeBuilder(limits: limits)
        let built = bytes.withUnsafeBufferPointer { buffer in
            Result<Void, YAMLProblem> { () throws(YAMLProblem) in try builder.build(from: LibYAMLEvents(buffer, limits: limits, mode: .tree)) }
        }
        try built.get()
        guard let root = builder.root else { throw emptyFile }
        return YAMLDocument(root: root, problems: builder.problems)
    }

    /// A file with no document at all (nothing but comments, or nothing).
    static let emptyFile = YAMLProblem(mark: Mark(line: 1, column: 1), message: "the file is empty; expected a mapping starting with 'version: 1'")

    /// The line and column of a byte offset, for reader errors that libyaml reports by offset only.
    static func mark(atOffset offset: Int, in bytes: some Collection<UInt8>) -> Mark {
        var line = 1
        var column = 1
        for byte in bytes.prefix(max(0, min(offset, bytes.count))) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }
}
