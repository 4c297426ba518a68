/// Fresh reads of the server made just before creates, so that apply never POSTs a URL that
/// exists by now (created by a concurrent apply, or by hand since the plan).
///
/// Per config it takes whichever costs fewer requests: one targeted read (`q[url_cont]`) per
/// create, or — when a config gets more creates than its list has pages — one read of the whole
/// list, shared by all its creates.
actor FreshReads {
    private let client: KapsoClient
    private let wholeList: Set<WebhookScope>
    private var lists: [WebhookScope: Task<Result<[ServerWebhook], APIError>, Never>] = [:]

    init(client: KapsoClient, creates: [PlannedWrite], observed: ObservedState) {
        self.client = client
        var perScope: [WebhookScope: Int] = [:]
        for change in creates { perScope[change.scope, default: 0] += 1 }
        wholeList = Set(perScope.filter { scope, count in
            let pages = max(1, ((observed.webhooks[scope]?.count ?? 0) + KapsoClient.maxPageSize - 1) / KapsoClient.maxPageSize)
            return count > pages
        }.keys)
    }

    /// The config's webhooks as they are now; at least those whose URL contains `url`.
    func webhooks(in scope: WebhookScope, url: String) async -> Result<[ServerWebhook], APIError> {
        guard wholeList.contains(scope) else {
            do {
                return .success(try await client.listWebhooks(in: scope, urlContaining: url))
            } catch {
                return .failure(error)
            }
        }
        if let read = lists[scope] { return await read.value }
        let client = self.client
        let read = Task { await Self.readAll(client, scope) }
        lists[scope] = read
        return await read.value
    }

    private static func readAll(_ client: KapsoClient, _ scope: WebhookScope) async -> Result<[ServerWebhook], APIError> {
        do {
            return .success(try await client.listWebhooks(in: scope))
        } catch {
            return .failure(error)
        }
    }
}
