/// A position in a source file: 1-based line and column (columns count characters, as libyaml does).
public struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written. The spec decoder types scalars itself, so `"5"` and `5` stay distinguishable.
enum ScalarStyle: Sendable, Equatable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar exactly as written: its text, style and position. No YAML 1.1 typing is applied.
struct YAMLScalar: Sendable {
    var text: String
    var style: ScalarStyle
    /// True when the scalar carried the `!!str` tag: typed as a string whatever its style.
    var forcedString: Bool
    var mark: Mark
    var endMark: Mark

    /// A plain scalar whose text YAML reserves for null (`~`, `null`, or nothing at all).
    var isNull: Bool {
        style == .plain && !forcedString && (text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL")
    }
}

/// One `key: value` pair of a mapping; merged pairs keep the position where they were written.
struct YAMLEntry: Sendable {
    var key: YAMLScalar
    var value: YAMLNode
}

/// A mapping with its pairs in source order (merged pairs follow the explicit ones).
struct YAMLMapping: Sendable {
    var entries: [YAMLEntry]
    var mark: Mark
}

/// A sequence with its items in source order.
struct YAMLSequence: Sendable {
    var items: [YAMLNode]
    var mark: Mark
}

/// A node of the loaded document; aliases are already resolved.
indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping(YAMLMapping)
    case sequence(YAMLSequence)

    var mark: Mark {
        switch self {
        case .scalar(let s): s.mark
        case .mapping(let m): m.mark
        case .sequence(let s): s.mark
        }
    }

    /// A short name of the node's kind for "expected X, got Y" messages.
    var kindDescription: String {
        switch self {
        case .scalar(let s) where s.isNull: "null"
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}
