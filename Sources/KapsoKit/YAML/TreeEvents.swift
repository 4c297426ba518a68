/// A loaded tree replayed as events: what a file with aliases or merge keys looks like to a reader
/// of events once they are resolved (a merged pair keeps the position where it was written).
final class TreeEvents: YAMLEventSource {
    private enum Frame {
        /// `index` counts keys and values: even is the next key, odd its value.
        case mapping(YAMLMapping, index: Int)
        case sequence(YAMLSequence, index: Int)
    }

    private var pending: YAMLNode?
    private var stack: [Frame] = []
    private var scalar = YAMLScalar(text: "", style: .plain, forcedString: false, mark: Mark(line: 1, column: 1), endMark: Mark(line: 1, column: 1))
    private(set) var mark = Mark(line: 1, column: 1)
    let problems: [YAMLProblem]

    /// `problems`: those found while loading the tree, reported with the reader's own.
    init(_ root: YAMLNode, problems: [YAMLProblem]) {
        pending = root
        self.problems = problems
    }

    var style: ScalarStyle { scalar.style }
    var forcedString: Bool { scalar.forcedString }
    var endMark: Mark { scalar.endMark }
    var text: String { scalar.text }

    func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = scalar.text
        return text.withUTF8(body)
    }

    func next() throws(YAMLStop) -> YAMLEventKind {
        if let node = pending {
            pending = nil
            return start(node)
        }
        guard let frame = stack.popLast() else { return .streamEnd }
        switch frame {
        case .mapping(let mapping, let index):
            guard index < mapping.entries.count * 2 else {
                mark = mapping.mark
                return .end
            }
            stack.append(.mapping(mapping, index: index + 1))
            let entry = mapping.entries[index / 2]
            if index % 2 == 0 { return start(.scalar(entry.key)) }
            return start(entry.value)
        case .sequence(let sequence, let index):
            guard index < sequence.items.count else {
                mark = sequence.mark
                return .end
            }
            stack.append(.sequence(sequence, index: index + 1))
            return start(sequence.items[index])
        }
    }

    private func start(_ node: YAMLNode) -> YAMLEventKind {
        mark = node.mark
        switch node {
        case .scalar(let s):
            scalar = s
            return .scalar
        case .mapping(let m):
            stack.append(.mapping(m, index: 0))
            return .mappingStart
        case .sequence(let s):
            stack.append(.sequence(s, index: 0))
            return .sequenceStart
        }
    }
}
