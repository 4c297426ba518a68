/// Runs `body` for every item with at most `limit` running at once; results keep the items' order.
public func boundedMap<Item: Sendable, Output: Sendable>(_ items: [Item], limit: Int,
                                                 _ body: @escaping @Sendable (Item) async -> Output) async -> [Output] {
    guard !items.isEmpty else { return [] }
    return await withTaskGroup(of: (Int, Output).self, returning: [Output].self) { group in
        var results: [Int: Output] = [:]
        var next = 0
        let width = min(max(1, limit), items.count)
        while next < width {
            let index = next
            let item = items[index]
            group.addTask { (index, await body(item)) }
            next += 1
        }
        for await (index, output) in group {
            results[index] = output
            if next < items.count {
                let index = next
                let item = items[index]
                group.addTask { (index, await body(item)) }
                next += 1
            }
        }
        return (0..<items.count).map { results[$0]! }
    }
}
