import Foundation

/// What a reader of YAML events sees: a document's nodes as a stream, the YAML-level checks
/// already made (one document, depth and size bounds, tags, duplicate and non-scalar keys — the
/// offending pair is reported in ``YAMLEventSource/problems`` and left out of the stream).
enum YAMLEventKind: Equatable {
    case scalar
    case mappingStart
    case sequenceStart
    /// The end of the innermost open mapping or sequence.
    case end
    /// Only ``LibYAMLEvents`` in tree mode (the tree builder resolves it); a stream reader never sees one.
    case alias
    /// The document is over (and it was the only one).
    case streamEnd
}

/// Why reading stopped: a fatal problem (syntax, bounds, a second document), or a construct that
/// only a resolved tree can give (an alias or merge key): the reader then replays the tree.
enum YAMLStop: Error {
    case problem(YAMLProblem)
    case needsTree
}

/// A stream of a document's events, read one at a time, the current one inspected in place (no
/// copy of a scalar unless its text is asked for). Two sources give the same events: libyaml's
/// parser (``LibYAMLEvents``) and a resolved tree replayed (``TreeEvents``), so one reader decodes
/// a file whether or not it uses anchors.
protocol YAMLEventSource: AnyObject {
    /// Moves to the next event.
    func next() throws(YAMLStop) -> YAMLEventKind
    /// Where the current event starts.
    var mark: Mark { get }
    /// The current scalar's style (after `!!int`/`!!bool`/... tags, which make it plain).
    var style: ScalarStyle { get }
    /// True when the current scalar carries `!!str`: a string whatever its style.
    var forcedString: Bool { get }
    /// Where the current scalar ends.
    var endMark: Mark { get }
    /// The current scalar's text.
    var text: String { get }
    /// Calls `body` with the current scalar's UTF-8 bytes.
    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
    /// Problems that did not stop reading (duplicate keys, tags), in the order met.
    var problems: [YAMLProblem] { get }
}

extension YAMLEventSource {
    /// A plain, untagged scalar: the only kind YAML types (booleans, numbers, null).
    var isPlain: Bool { style == .plain && !forcedString }

    /// A plain scalar YAML reserves for null (`~`, `null`, or nothing at all).
    var isNull: Bool {
        guard isPlain else { return false }
        return withBytes { b in
            switch b.count {
            case 0: true
            case 1: b[0] == UInt8(ascii: "~")
            case 4: b.elementsEqual("null".utf8) || b.elementsEqual("Null".utf8) || b.elementsEqual("NULL".utf8)
            default: false
            }
        }
    }

    /// The current scalar is exactly these bytes.
    func scalarIs(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        withBytes { b in
            guard b.count == other.count else { return false }
            guard let base = b.baseAddress, let otherBase = other.baseAddress else { return b.isEmpty }
            return memcmp(base, otherBase, b.count) == 0
        }
    }

    func scalarIs(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { scalarIs($0) }
    }

    func scalarIs(_ text: StaticString) -> Bool {
        scalarIs(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The index in `table` of the current scalar's bytes, if it is one of them.
    func index(in table: ByteTable) -> Int? {
        withBytes { table.index(of: $0) }
    }

    /// The current scalar holds this byte.
    func contains(_ byte: UInt8) -> Bool {
        withBytes { b in
            guard let base = b.baseAddress, !b.isEmpty else { return false }
            return memchr(base, Int32(byte), b.count) != nil
        }
    }

    /// Consumes the node the current event starts (a scalar is one event; a collection runs to its end).
    func skipNode(_ kind: YAMLEventKind) throws(YAMLStop) {
        guard kind == .mappingStart || kind == .sequenceStart else { return }
        var depth = 1
        while depth > 0 {
            switch try next() {
            case .mappingStart, .sequenceStart: depth += 1
            case .end: depth -= 1
            case .streamEnd: return
            case .scalar, .alias: continue
            }
        }
    }
}

/// Words (keys, event names) as bytes, for matching scalars without making strings.
struct ByteTable: Sendable {
    let names: [String]
    private let entries: [[UInt8]]

    init(_ names: [String]) {
        self.names = names
        entries = names.map { Array($0.utf8) }
    }

    /// The index of the entry spelled by `bytes`: lengths compared first, then first bytes, then all.
    func index(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        guard let base = bytes.baseAddress, count > 0 else { return entries.firstIndex(where: \.isEmpty) }
        let first = base.pointee
        for index in entries.indices {
            let found = entries[index].withUnsafeBufferPointer { entry in
                entry.count == count && entry[0] == first && memcmp(entry.baseAddress!, base, count) == 0
            }
            if found { return index }
        }
        return nil
    }

    subscript(index: Int) -> String { names[index] }
}
