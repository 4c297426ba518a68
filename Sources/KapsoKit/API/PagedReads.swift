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
    func listAll<Item: Decodable & Sendable>(path: String, filter: ListFilter? = nil) async throws(APIError) -> [Item] where Item: Identifiable, Item.ID == String {
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

    private func readPages<Item: Decodable & Sendable>(path: String, filter: ListFilter?) async throws(APIError) -> PagedRead<Item> where Item: Identifiable, Item.ID == String {
        var items: [Item] = []
        var seen = Set<String>()
        var first: PageMeta?
        var page = 1
        while true {
            let query = "page=\(page)&per_page=\(Self.maxPageSize)"
            let shown = "\(path)?\(filter?.shown ?? "")\(query)"
            let response = try await perform("GET", "\(path)?\(filter?.query ?? "")\(query)", shownPath: shown)
            let envelope = try decode(PageEnvelope<Item>.self, response, "GET", shown)
            for item in envelope.data {
                guard seen.insert(item.id).inserted else { return .shifted("\(item.id) was listed twice") }
                items.append(item)
            }
            guard let meta = envelope.meta ?? PageMeta(headers: response.headers) else {
                // No pagination data: a short or empty page is the last.
                if envelope.data.count < Self.maxPageSize || page >= 10_000 { return .consistent(items) }
                page += 1
                continue
            }
            if let first {
                if meta.totalCount != first.totalCount {
                    return .shifted("the count went from \(first.totalCount) to \(meta.totalCount)")
                }
            } else {
                first = meta
            }
            // A page bound keeps a misbehaving server from holding the client in a loop.
            let last = page >= meta.totalPages || envelope.data.isEmpty || page >= 10_000
            if last {
                guard items.count == meta.totalCount || page >= 10_000 else {
                    return .shifted("\(items.count) listed of \(meta.totalCount) counted")
                }
                return .consistent(items)
            }
            if envelope.data.count < meta.perPage {
                return .shifted("page \(page) held \(envelope.data.count) of \(meta.perPage)")
            }
            page += 1
        }
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
