internal import CYaml
import Foundation

/// libyaml's events, read in place, with the YAML-level checks every reader needs:
/// one document; depth and scalar-size bounds (fatal); tags (`!!str` forces a string, `!!int`,
/// `!!bool`, `!!float`, `!!null` leave a scalar to be typed as written, any other is reported);
/// duplicate keys and non-scalar keys (reported, and the pair left out of the stream).
///
/// In `.stream` mode an alias or a `<<` merge key stops reading with ``YAMLStop/needsTree``: the
/// file is then read again through the tree builder (`.tree` mode, which passes both on).
///
/// The event, the parser and the flags live behind pointers, not in stored properties: no
/// exclusivity check on every access of the hottest loop.
final class LibYAMLEvents: YAMLEventSource {
    enum Mode { case stream, tree }

    private struct Frame {
        var isMapping: Bool
        /// In a mapping: the next node is a key.
        var expectingKey = true
        /// Where this mapping's keys start in `keys`.
        var firstKey: Int
        /// Built once the mapping has many keys.
        var index: [[UInt8]: Mark]? = nil
    }

    private struct State {
        var holding = false
        var frames: [Frame] = []
        /// The keys of the open mappings, innermost last: bytes in `keyBytes`, positions here.
        var keys: [(start: Int, count: Int, mark: Mark)] = []
        var keyBytes: [UInt8] = []
        /// Left out of the stream: the next `nodes` nodes of the collection at `level`.
        var drop: (level: Int, nodes: Int)?
        var documents = 0
        var style = ScalarStyle.plain
        var forcedString = false
        var problems: [YAMLProblem] = []
    }

    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let current: UnsafeMutablePointer<yaml_event_t>
    private let state: UnsafeMutablePointer<State>
    private let input: UnsafeBufferPointer<UInt8>
    private let limits: YAMLLimits
    private let mode: Mode

    /// `bytes` must outlive the reader.
    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: YAMLLimits, mode: Mode) {
        input = bytes
        self.limits = limits
        self.mode = mode
        parser = .allocate(capacity: 1)
        current = .allocate(capacity: 1)
        current.initialize(to: yaml_event_t())
        state = .allocate(capacity: 1)
        state.initialize(to: State())
        yaml_parser_initialize(parser)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress ?? UnsafePointer(bitPattern: 1), bytes.count)
    }

    deinit {
        if state.pointee.holding { yaml_event_delete(current) }
        yaml_parser_delete(parser)
        parser.deallocate()
        current.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: - The current event

    var mark: Mark { Self.mark(current.pointee.start_mark) }
    var endMark: Mark { Self.mark(current.pointee.end_mark) }
    var style: ScalarStyle { state.pointee.style }
    var forcedString: Bool { state.pointee.forcedString }
    var problems: [YAMLProblem] { state.pointee.problems }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let scalar = current.pointee.data.scalar
        return body(UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)))
    }

    var text: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// The anchor the current scalar or collection start defines (tree mode).
    var anchor: String? {
        switch current.pointee.type {
        case YAML_SCALAR_EVENT: Self.string(current.pointee.data.scalar.anchor)
        case YAML_MAPPING_START_EVENT: Self.string(current.pointee.data.mapping_start.anchor)
        case YAML_SEQUENCE_START_EVENT: Self.string(current.pointee.data.sequence_start.anchor)
        default: nil
        }
    }

    /// The name the current alias refers to.
    var aliasName: String { Self.string(current.pointee.data.alias.anchor) ?? "" }

    // MARK: - Reading

    func next() throws(YAMLStop) -> YAMLEventKind {
        while true {
            if let kind = try step() { return kind }
        }
    }

    /// Reads one libyaml event; nil when it is not part of the stream a reader sees.
    private func step() throws(YAMLStop) -> YAMLEventKind? {
        if state.pointee.holding { yaml_event_delete(current) }
        state.pointee.holding = yaml_parser_parse(parser, current) == 1
        guard state.pointee.holding else { throw .problem(syntaxProblem()) }
        switch current.pointee.type {
        case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
            return nil
        case YAML_DOCUMENT_START_EVENT:
            state.pointee.documents += 1
            if state.pointee.documents > 1 {
                throw .problem(YAMLProblem(mark: mark, message: "a second YAML document starts here; a spec file holds exactly one document"))
            }
            return nil
        case YAML_STREAM_END_EVENT:
            return .streamEnd
        case YAML_SCALAR_EVENT:
            return try scalar()
        case YAML_ALIAS_EVENT:
            if mode == .stream { throw .needsTree }
            return leaf(.alias, checkKey: false)
        case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
            return try collectionStart(isMapping: current.pointee.type == YAML_MAPPING_START_EVENT)
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            return collectionEnd()
        default:
            return nil
        }
    }

    private func scalar() throws(YAMLStop) -> YAMLEventKind? {
        let scalar = current.pointee.data.scalar
        if scalar.length > limits.maxScalarBytes {
            throw .problem(YAMLProblem(mark: mark, message: "scalar of \(scalar.length) bytes; the limit is \(limits.maxScalarBytes) bytes"))
        }
        state.pointee.forcedString = false
        state.pointee.style = switch scalar.style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
        if scalar.tag != nil { applyTag() }
        let merge = state.pointee.style == .plain && scalar.length == 2 && scalarIs("<<") && atKey
        if merge && mode == .stream { throw .needsTree }
        return leaf(.scalar, checkKey: !merge)
    }

    /// The next node of the innermost collection is a mapping's key.
    private var atKey: Bool {
        let level = state.pointee.frames.count
        return level > 0 && state.pointee.frames[level - 1].isMapping && state.pointee.frames[level - 1].expectingKey
    }

    /// A scalar or alias: a key (checked against the mapping's others), a value, or an item.
    private func leaf(_ kind: YAMLEventKind, checkKey: Bool) -> YAMLEventKind? {
        let level = state.pointee.frames.count
        if level > 0 && state.pointee.frames[level - 1].isMapping {
            let key = state.pointee.frames[level - 1].expectingKey
            state.pointee.frames[level - 1].expectingKey = !key
            if key && checkKey && kind == .scalar, let first = firstMark(ofKeyIn: level - 1) {
                state.pointee.problems.append(YAMLProblem(
                    mark: mark, message: "duplicate key '\(text)'; it is first defined at line \(first.line), column \(first.column)"))
                if state.pointee.drop == nil {
                    state.pointee.drop = (level, 1)
                    return nil
                }
            }
        }
        return visible(kind, at: level)
    }

    /// `kind`, unless the node at `level` is being left out.
    private func visible(_ kind: YAMLEventKind, at level: Int) -> YAMLEventKind? {
        guard let drop = state.pointee.drop, level >= drop.level else { return kind }
        if level == drop.level { countDropped() }
        return nil
    }

    private func collectionStart(isMapping: Bool) throws(YAMLStop) -> YAMLEventKind? {
        let level = state.pointee.frames.count
        if level >= limits.maxDepth {
            throw .problem(YAMLProblem(mark: mark, message: "nesting is deeper than \(limits.maxDepth) levels"))
        }
        let tag = isMapping ? current.pointee.data.mapping_start.tag : current.pointee.data.sequence_start.tag
        if let tag = Self.string(tag), tag != "!" {
            let expected = Self.standardTagPrefix + (isMapping ? "map" : "seq")
            if tag != expected {
                state.pointee.problems.append(YAMLProblem(mark: mark, message: "unsupported tag '\(Self.shortTag(tag))' on a \(isMapping ? "mapping" : "list")"))
            }
        }
        if atKey {
            state.pointee.problems.append(YAMLProblem(mark: mark, message: "mapping keys must be scalars, not \(isMapping ? "a mapping" : "a list")"))
            if state.pointee.drop == nil { state.pointee.drop = (level, 2) }
        }
        state.pointee.frames.append(Frame(isMapping: isMapping, firstKey: state.pointee.keys.count))
        if let drop = state.pointee.drop, level >= drop.level { return nil }
        return isMapping ? .mappingStart : .sequenceStart
    }

    private func collectionEnd() -> YAMLEventKind? {
        let frame = state.pointee.frames.removeLast()
        if frame.firstKey < state.pointee.keys.count {
            state.pointee.keyBytes.removeSubrange(state.pointee.keys[frame.firstKey].start...)
            state.pointee.keys.removeSubrange(frame.firstKey...)
        }
        let level = state.pointee.frames.count
        if level > 0 && state.pointee.frames[level - 1].isMapping {
            state.pointee.frames[level - 1].expectingKey.toggle()
        }
        return visible(.end, at: level)
    }

    private func countDropped() {
        guard var drop = state.pointee.drop else { return }
        drop.nodes -= 1
        state.pointee.drop = drop.nodes == 0 ? nil : drop
    }

    /// Where the current scalar was first written as a key of the mapping at `frame`, recording it
    /// if it was not. A linear search while the mapping is small (nearly all are); an index past 32 keys.
    private func firstMark(ofKeyIn frame: Int) -> Mark? {
        let first = state.pointee.frames[frame].firstKey
        let count = state.pointee.keys.count - first
        if count >= 32 {
            if state.pointee.frames[frame].index == nil {
                var index: [[UInt8]: Mark] = [:]
                for key in state.pointee.keys[first...] {
                    let bytes = Array(state.pointee.keyBytes[key.start..<(key.start + key.count)])
                    if index[bytes] == nil { index[bytes] = key.mark }
                }
                state.pointee.frames[frame].index = index
            }
            let bytes = withBytes { Array($0) }
            if let found = state.pointee.frames[frame].index?[bytes] { return found }
            state.pointee.frames[frame].index?[bytes] = mark
        } else {
            let found: Mark? = withBytes { bytes in
                for key in state.pointee.keys[first...] where key.count == bytes.count {
                    let same = state.pointee.keyBytes.withUnsafeBufferPointer { stored in
                        bytes.isEmpty || memcmp(stored.baseAddress! + key.start, bytes.baseAddress!, bytes.count) == 0
                    }
                    if same { return key.mark }
                }
                return nil
            }
            if found != nil { return found }
        }
        let start = state.pointee.keyBytes.count
        withBytes { state.pointee.keyBytes.append(contentsOf: $0) }
        state.pointee.keys.append((start, state.pointee.keyBytes.count - start, mark))
        return nil
    }

    private static let standardTagPrefix = "tag:yaml.org,2002:"

    private func applyTag() {
        guard let tag = Self.string(current.pointee.data.scalar.tag), tag != "!" else { return }
        switch tag {
        case Self.standardTagPrefix + "str":
            state.pointee.forcedString = true
        case Self.standardTagPrefix + "int", Self.standardTagPrefix + "bool",
             Self.standardTagPrefix + "float", Self.standardTagPrefix + "null":
            state.pointee.style = .plain
        default:
            state.pointee.problems.append(YAMLProblem(mark: mark, message: "unsupported tag '\(Self.shortTag(tag))'; only the standard !!str, !!int, !!bool, !!map and !!seq tags are accepted"))
        }
    }

    private static func shortTag(_ tag: String) -> String {
        tag.hasPrefix(standardTagPrefix) ? "!!" + tag.dropFirst(standardTagPrefix.count) : tag
    }

    private func syntaxProblem() -> YAMLProblem {
        let p = parser.pointee
        var text = p.problem.map { String(cString: $0) } ?? "unknown YAML error"
        if let context = p.context.map({ String(cString: $0) }) {
            text = "\(text) (\(context) at line \(p.context_mark.line + 1), column \(p.context_mark.column + 1))"
        }
        if p.error == YAML_READER_ERROR {
            if p.problem_value != -1 {
                text += String(format: " (byte 0x%02X)", Int(p.problem_value) & 0xFF)
            }
            return YAMLProblem(mark: YAMLLoader.mark(atOffset: Int(p.problem_offset), in: input),
                               message: "invalid input: \(text); the file must be UTF-8 text")
        }
        return YAMLProblem(mark: Self.mark(p.problem_mark), message: "YAML syntax error: \(text)")
    }

    private static func mark(_ m: yaml_mark_t) -> Mark {
        Mark(line: Int(m.line) + 1, column: Int(m.column) + 1)
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: UnsafePointer($0)) }
    }
}
