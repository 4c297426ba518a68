/// Builds the node tree from libyaml's checked events with an explicit stack (no recursion, so
/// depth is only bounded by ``YAMLLimits/maxDepth``), resolving anchors, aliases and merge keys as
/// collections close. Only files that use aliases or merge keys are built (the spec decoder then
/// reads the tree replayed as events); the simulator's seed files always are.
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
        var merges: [YAMLMapping] = []
    }

    let limits: YAMLLimits
    private(set) var root: YAMLNode?
    private(set) var problems: [YAMLProblem] = []
    private var stack: [Frame] = []
    private var anchors: [String: Built] = [:]
    private var aliasNodes = 0

    init(limits: YAMLLimits) {
        self.limits = limits
    }

    /// Reads every event of `events` (which made the YAML-level checks: duplicate keys, tags,
    /// bounds) into the tree.
    mutating func build(from events: LibYAMLEvents) throws(YAMLProblem) {
        while true {
            let kind: YAMLEventKind
            do {
                kind = try events.next()
            } catch {
                guard case .problem(let problem) = error else { return }  // tree mode never asks for a tree
                throw problem
            }
            switch kind {
            case .streamEnd:
                problems = events.problems + problems
                return
            case .scalar:
                let scalar = YAMLScalar(text: events.text, style: events.style, forcedString: events.forcedString,
                                        mark: events.mark, endMark: events.endMark)
                try add(Built(node: .scalar(scalar), size: 1), anchor: events.anchor)
            case .alias:
                let name = events.aliasName
                guard let target = anchors[name] else {
                    throw YAMLProblem(mark: events.mark, message: "alias '*\(name)' refers to no anchor defined before it")
                }
                aliasNodes += target.size
                if aliasNodes > limits.maxAliasNodes {
                    throw YAMLProblem(mark: events.mark,
                                      message: "aliases expand to more than \(limits.maxAliasNodes) nodes; refusing to expand further")
                }
                try add(target, anchor: nil)
            case .mappingStart, .sequenceStart:
                stack.append(Frame(isMapping: kind == .mappingStart, mark: events.mark, anchor: events.anchor))
            case .end:
                let frame = stack.removeLast()
                let built: Built
                if frame.isMapping {
                    built = Built(node: .mapping(YAMLMapping(entries: merged(frame), mark: frame.mark)), size: frame.size)
                } else {
                    built = Built(node: .sequence(YAMLSequence(items: frame.items, mark: frame.mark)), size: frame.size)
                }
                try add(built, anchor: frame.anchor)
            }
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
            // A key that is an alias of a collection (the events refuse a collection written as a key).
            guard case .scalar(let key) = node else {
                problems.append(YAMLProblem(mark: node.mark, message: "mapping keys must be scalars, not \(node.kindDescription)"))
                frame.skipNextValue = true
                return
            }
            if key.style == .plain && key.text == "<<" {
                frame.pendingMerge = true
            } else {
                frame.pendingKey = key
            }
            return
        }
        frame.entries.append(YAMLEntry(key: key, value: node))
        frame.pendingKey = nil
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
}
