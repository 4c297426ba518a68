import Foundation

extension KapsoClient {
    /// How often a list that changed while being read is read again before giving up.
    static let listReads = 5

    /// A list filter: its query parameter (`q[url_cont]`, `url_contains`) and value. The value is
    /// never shown in logs or errors (a URL may hold a secret).
    struct ListFilter: Sendable {
        var name: String
        var value: String

        var query: String {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.~"))
            return "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")&"
        }
        var shown: String { "\(name)=…&" }
    }

    /// Reads every page of a list at the largest page size. Pages are offsets, so a webhook created
    /// or deleted by someone else between two page reads shifts the rest: one webhook would be seen
    /// twice or never — and a webhook never seen would be planned as a create, a duplicate. A read
    /// whose pages do not add up (the total changed, a page shorter than promised, an id seen twice,
    /// fewer items than counted) is read again from the first page. The counts come from the
    /// body's `meta`, else from the Platform API's `X-Total`/`X-Total-Pages`/`X-Per-Page` headers.
    func listAll<Item: JSONReadable & Sendable>(path: String, filter: ListFilter? = nil) async throws(APIError) -> [Item] where Item: Identifiable, Item.ID == String {
        var problem = ""
        for _ in 1...Self.listReads {
            switch try await readPages(path: path, filter: filter) as PagedRead<Item> {
            case .consistent(let items): return items
            case .shifted(let reason): problem = reason
            }
        }
        throw APIError(method: "GET", path: path + (filter.map { "?" + $0.shown.dropLast() } ?? ""),
                       reason: .invalidResponse("the list kept changing while it was read (\(problem)), \(Self.listReads) reads in a row"))
    }

    private enum PagedRead<Item: Sendable>: Sendable {
        case consistent([Item])
        case shifted(String)
    }

    /// One list's pages: the first, then — once it says how many there are — the rest up to
    /// ``parallelism`` at once, checked in order as if read one after another (the same total on
    /// every page, every page but the last full, no id twice, as many items as counted).
    private func readPages<Item: JSONReadable & Sendable>(path: String, filter: ListFilter?) async throws(APIError) -> PagedRead<Item> where Item: Identifiable, Item.ID == String {
        var items: [Item] = []
        var seen = Set<String>()
        let first = try await page(1, path: path, filter: filter) as Page<Item>
        guard let meta = first.meta else { return try await readUncounted(first.items, path: path, filter: filter) }
        var pages = [first]
        let last = min(max(1, meta.totalPages), 10_000)
        if last > 1 {
            let rest = await boundedMap(Array(2...last), limit: parallelism) { number -> Result<Page<Item>, APIError> in
                do throws(APIError) {
                    return .success(try await self.page(number, path: path, filter: filter))
                } catch {
                    return .failure(error)
                }
            }
            for result in rest { pages.append(try result.get()) }
        }
        for (index, page) in pages.enumerated() {
            for item in page.items {
                guard seen.insert(item.id).inserted else { return .shifted("\(item.id) was listed twice") }
                items.append(item)
            }
            let number = index + 1
            if let counted = page.meta, counted.totalCount != meta.totalCount {
                return .shifted("the count went from \(meta.totalCount) to \(counted.totalCount)")
            }
            if page.items.isEmpty || number == last {
                guard items.count == meta.totalCount || number >= 10_000 else {
                    return .shifted("\(items.count) listed of \(meta.totalCount) counted")
                }
                return .consistent(items)
            }
            if page.items.count < meta.perPage {
                return .shifted("page \(number) held \(page.items.count) of \(meta.perPage)")
            }
        }
        return .consistent(items)
    }

    /// A list whose answers carry no counts: pages one after another until a short or empty one.
    private func readUncounted<Item: JSONReadable & Sendable>(_ firstItems: [Item], path: String, filter: ListFilter?) async throws(APIError) -> PagedRead<Item> where Item: Identifiable, Item.ID == String {
        var items: [Item] = []
        var seen = Set<String>()
        var current = firstItems
        var number = 1
        while true {
            for item in current {
                guard seen.insert(item.id).inserted else { return .shifted("\(item.id) was listed twice") }
                items.append(item)
            }
            if current.count < Self.maxPageSize || number >= 10_000 { return .consistent(items) }
            number += 1
            current = try await page(number, path: path, filter: filter).items as [Item]
        }
    }

    private struct Page<Item: Sendable>: Sendable {
        var items: [Item]
        var meta: PageMeta?
    }

    private func page<Item: JSONReadable & Sendable>(_ number: Int, path: String, filter: ListFilter?) async throws(APIError) -> Page<Item> {
        let query = "page=\(number)&per_page=\(Self.maxPageSize)"
        let shown = "\(path)?\(filter?.shown ?? "")\(query)"
        let response = try await perform("GET", "\(path)?\(filter?.query ?? "")\(query)", shownPath: shown)
        let envelope = try decode(PageEnvelope<Item>.self, response, "GET", shown)
        return Page(items: envelope.data, meta: envelope.meta ?? PageMeta(headers: response.headers))
    }
}

extension PageMeta {
    /// The Platform API's pagination headers (`X-Page`, `X-Per-Page`, `X-Total`, `X-Total-Pages`).
    init?(headers: [String: String]) {
        func number(_ name: String) -> Int? { headers[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        guard let total = number("x-total"), let pages = number("x-total-pages"), let perPage = number("x-per-page") else { return nil }
        self.init(page: number("x-page") ?? 1, perPage: perPage, totalPages: pages, totalCount: total)
    }
}
