/// Runs `body` for every item with at most `limit` running at once; results keep the items' order.
func boundedMap<Item: Sendable, Output: Sendable>(_ items: [Item], limit: Int,
                                                 _ body: @escaping @Sendable (Item) async -> Output) async -> [Output] {
    await withTaskGroup(of: (Int, Output).self) { group in
        var results = [Output?](repeating: nil, count: items.count)
        var next = 0
        func start() {
            let index = next
            let item = items[index]
            group.addTask { (index, await body(item)) }
            next += 1
        }
        while next < min(max(1, limit), items.count) { start() }
        while let (index, output) = await group.next() {
            results[index] = output
            if next < items.count { start() }
        }
        return results.map { $0! }
    }
}
