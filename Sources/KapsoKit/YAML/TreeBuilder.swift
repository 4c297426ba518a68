/// Builds the node tree from libyaml events with an explicit stack (no recursion, so depth is only
/// bounded by ``YAMLLimits/maxDepth``), resolving aliases and merge keys as collections close.
struct TreeBuilder {
    private struct Built {
        var node: YAMLNode
        /// Nodes in the subtree, used to charge alias expansions against the bound.
        var size: Int
    }

    private struct Frame {
        var isMapping: Bool
        var mark: Mark
        var anchor: String?
        var size = 1
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        var pendingKey: YAMLScalar?
        /// The next value belongs to a key that was rejected (not a scalar); drop it.
        var skipNextValue = false
        var pendingMerge = false
        /// Built once a mapping has many keys; small ones (nearly all) are searched linearly.
        var keyIndex: [String: Mark]?
        var merges: [YAMLMapping] = []
    }

    let limits: YAMLLimits
    private(set) var root: YAMLNode?
    private(set) var problems: [YAMLProblem] = []
    private var stack: [Frame] = []
    private var anchors: [String: Built] = [:]
    private var aliasNodes = 0
    private var documents = 0

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    mutating func handle(_ event: YAMLEvent) throws(YAMLProblem) {
        switch event {
        case .documentStart(let mark):
            documents += 1
            if documents > 1 {
                throw YAMLProblem(mark: mark, message: "a second YAML document starts here; a spec file holds exactly one document")
            }
        case .scalar(var scalar, let anchor, let tag):
            if scalar.text.utf8.count > limits.maxScalarBytes {
                throw YAMLProblem(mark: scalar.mark,
                                  message: "scalar of \(scalar.text.utf8.count) bytes; the limit is \(limits.maxScalarBytes) bytes")
            }
            applyTag(tag, to: &scalar)
            try add(Built(node: .scalar(scalar), size: 1), anchor: anchor)
        case .alias(let name, let mark):
            guard let target = anchors[name] else {
                throw YAMLProblem(mark: mark, message: "alias '*\(name)' refers to no anchor defined before it")
            }
            aliasNodes += target.size
            if aliasNodes > limits.maxAliasNodes {
                throw YAMLProblem(mark: mark,
                                  message: "aliases expand to more than \(limits.maxAliasNodes) nodes; refusing to expand further")
            }
            try add(target, anchor: nil)
        case .sequenceStart(let mark, let anchor, let tag), .mappingStart(let mark, let anchor, let tag):
            if stack.count >= limits.maxDepth {
                throw YAMLProblem(mark: mark, message: "nesting is deeper than \(limits.maxDepth) levels")
            }
            let isMapping: Bool
            if case .mappingStart = event { isMapping = true } else { isMapping = false }
            checkCollectionTag(tag, isMapping: isMapping, at: mark)
            stack.append(Frame(isMapping: isMapping, mark: mark, anchor: anchor))
        case .collectionEnd:
            let frame = stack.removeLast()
            let built: Built
            if frame.isMapping {
                built = Built(node: .mapping(YAMLMapping(entries: merged(frame), mark: frame.mark)), size: frame.size)
            } else {
                built = Built(node: .sequence(YAMLSequence(items: frame.items, mark: frame.mark)), size: frame.size)
            }
            try add(built, anchor: frame.anchor)
        case .streamEnd, .other:
            break
        }
    }

    /// The frame's explicit pairs followed by merged pairs whose keys are not already present
    /// (earlier merge sources win over later ones, explicit keys over all).
    private func merged(_ frame: Frame) -> [YAMLEntry] {
        guard !frame.merges.isEmpty else { return frame.entries }
        var entries = frame.entries
        var seen = Set(frame.entries.map(\.key.text))
        for source in frame.merges {
            for entry in source.entries where !seen.contains(entry.key.text) {
                seen.insert(entry.key.text)
                entries.append(entry)
            }
        }
        return entries
    }

    private mutating func add(_ built: Built, anchor: String?) throws(YAMLProblem) {
        if let anchor { anchors[anchor] = built }
        guard !stack.isEmpty else {
            root = built.node
            return
        }
        stack[stack.count - 1].size += built.size
        if stack[stack.count - 1].isMapping {
            addToMapping(built.node)
        } else {
            stack[stack.count - 1].items.append(built.node)
        }
    }

    private mutating func addToMapping(_ node: YAMLNode) {
        var frame = stack.removeLast()
        defer { stack.append(frame) }
        if frame.skipNextValue {
            frame.skipNextValue = false
            return
        }
        if frame.pendingMerge {
            frame.pendingMerge = false
            addMergeSource(node, to: &frame)
            return
        }
        guard let key = frame.pendingKey else {
            guard case .scalar(let key) = node else {
                problems.append(YAMLProblem(mark: node.mark, message: "mapping keys must be scalars, not \(node.kindDescription)"))
                frame.skipNextValue = true
                return
            }
            if key.style == .plain && key.text == "<<" {
                frame.pendingMerge = true
            } else if let first = Self.firstMark(of: key.text, in: &frame) {
                problems.append(YAMLProblem(
                    mark: key.mark,
                    message: "duplicate key '\(key.text)'; it is first defined at line \(first.line), column \(first.column)"))
                frame.skipNextValue = true
            } else {
                frame.keyIndex?[key.text] = key.mark
                frame.pendingKey = key
            }
            return
        }
        frame.entries.append(YAMLEntry(key: key, value: node))
        frame.pendingKey = nil
    }

    /// Where `key` was first written in the mapping being built, if it was.
    private static func firstMark(of key: String, in frame: inout Frame) -> Mark? {
        if let index = frame.keyIndex { return index[key] }
        if frame.entries.count < 32 {
            return frame.entries.first { $0.key.text == key }?.key.mark
        }
        var index: [String: Mark] = [:]
        for entry in frame.entries where index[entry.key.text] == nil { index[entry.key.text] = entry.key.mark }
        frame.keyIndex = index
        return index[key]
    }

    private mutating func addMergeSource(_ node: YAMLNode, to frame: inout Frame) {
        switch node {
        case .mapping(let mapping):
            frame.merges.append(mapping)
        case .sequence(let sequence):
            for item in sequence.items {
                if case .mapping(let mapping) = item {
                    frame.merges.append(mapping)
                } else {
                    problems.append(YAMLProblem(mark: item.mark, message: "merge key '<<' takes mappings; this item is \(item.kindDescription)"))
                }
            }
        case .scalar:
            problems.append(YAMLProblem(mark: node.mark,
                                        message: "merge key '<<' takes a mapping or a list of mappings, not \(node.kindDescription)"))
        }
    }

    private static let standardTagPrefix = "tag:yaml.org,2002:"

    /// `!!str` makes a scalar a string whatever its style; `!!int`, `!!bool`, `!!float` and `!!null`
    /// leave it to be typed as written; any other tag is reported.
    private mutating func applyTag(_ tag: String?, to scalar: inout YAMLScalar) {
        guard let tag, tag != "!" else { return }
        switch tag {
        case Self.standardTagPrefix + "str":
            scalar.forcedString = true
        case Self.standardTagPrefix + "int", Self.standardTagPrefix + "bool",
             Self.standardTagPrefix + "float", Self.standardTagPrefix + "null":
            scalar.style = .plain
        default:
            problems.append(YAMLProblem(mark: scalar.mark, message: "unsupported tag '\(Self.shortTag(tag))'; only the standard !!str, !!int, !!bool, !!map and !!seq tags are accepted"))
        }
    }

    private mutating func checkCollectionTag(_ tag: String?, isMapping: Bool, at mark: Mark) {
        guard let tag, tag != "!" else { return }
        let expected = Self.standardTagPrefix + (isMapping ? "map" : "seq")
        if tag != expected {
            problems.append(YAMLProblem(mark: mark, message: "unsupported tag '\(Self.shortTag(tag))' on a \(isMapping ? "mapping" : "list")"))
        }
    }

    private static func shortTag(_ tag: String) -> String {
        tag.hasPrefix(standardTagPrefix) ? "!!" + tag.dropFirst(standardTagPrefix.count) : tag
    }
}
