internal import CYaml

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

/// Loads one YAML document into a ``YAMLNode`` tree through libyaml's event API.
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
        let parser = EventParser(bytes)
        var builder = TreeBuilder(limits: limits)
        while try !parser.next({ event throws(YAMLProblem) in try builder.handle(event) }) {}
        guard let root = builder.root else {
            throw YAMLProblem(mark: Mark(line: 1, column: 1), message: "the file is empty; expected a mapping starting with 'version: 1'")
        }
        return YAMLDocument(root: root, problems: builder.problems)
    }

    /// The line and column of a byte offset, for reader errors that libyaml reports by offset only.
    static func mark(atOffset offset: Int, in bytes: [UInt8]) -> Mark {
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

/// One libyaml event, copied out of libyaml's memory.
enum YAMLEvent {
    case documentStart(Mark)
    case scalar(YAMLScalar, anchor: String?, tag: String?)
    case alias(String, Mark)
    case sequenceStart(Mark, anchor: String?, tag: String?)
    case mappingStart(Mark, anchor: String?, tag: String?)
    case collectionEnd(Mark)
    case streamEnd
    case other
}

/// Owns the `yaml_parser_t` and its input; frees both on deinit.
private final class EventParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        parser = .allocate(capacity: 1)
        input = .allocate(capacity: max(1, bytes.count))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    /// Parses one event and hands it to `body`; returns true at the end of the stream.
    func next(_ body: (YAMLEvent) throws(YAMLProblem) -> Void) throws(YAMLProblem) -> Bool {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw problem() }
        defer { yaml_event_delete(&event) }
        let converted = convert(&event)
        try body(converted)
        if case .streamEnd = converted { return true }
        return false
    }

    private func problem() -> YAMLProblem {
        let p = parser.pointee
        var text = p.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if let context = p.context.map({ String(cString: $0) }) {
            text = "\(text) (\(context) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        let mark: Mark
        if p.error == YAML_READER_ERROR {
            mark = YAMLLoader.mark(atOffset: Int(p.problem_offset), in: bytes)
            if p.problem_value != -1 {
                text += String(format: " (byte 0x%02X)", Int(p.problem_value) & 0xFF)
            }
            text = "invalid input: \(text); the file must be UTF-8 text"
        } else {
            mark = Self.mark(p.problem_mark)
            text = "YAML syntax error: \(text)"
        }
        return YAMLProblem(mark: mark, message: text)
    }

    private static func mark(_ m: yaml_mark_t) -> Mark {
        Mark(line: Int(m.line) + 1, column: Int(m.column) + 1)
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: UnsafePointer($0)) }
    }

    private func convert(_ event: inout yaml_event_t) -> YAMLEvent {
        let start = Self.mark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart(start)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
            let style: ScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let scalar = YAMLScalar(text: text, style: style, forcedString: false, mark: start,
                                    endMark: Self.mark(event.end_mark))
            return .scalar(scalar, anchor: Self.string(s.anchor), tag: Self.string(s.tag))
        case YAML_ALIAS_EVENT:
            return .alias(Self.string(event.data.alias.anchor) ?? "", start)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            return .sequenceStart(start, anchor: Self.string(s.anchor), tag: Self.string(s.tag))
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            return .mappingStart(start, anchor: Self.string(m.anchor), tag: Self.string(m.tag))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            return .collectionEnd(start)
        case YAML_STREAM_END_EVENT:
            return .streamEnd
        default:
            return .other
        }
    }
}
