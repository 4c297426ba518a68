import Foundation
import KapsoKit
import TestSupport
import Testing

/// A legacy server that keeps URLs unique per config, as a Rails app with a uniqueness validation
/// does: a second POST of a URL is `422 {"error": "Url has already been taken"}`.
/// `raceFirstPosts`: the first POST of each URL finds that another run created it just before
/// (the copy is stored, then the 422 answered), deterministically.
private final class UniqueURLServer: Sendable {
    let server: RawHTTPServer
    private let hooks = Locked<[JSONValue]>([])
    private let counter = Locked(0)

    /// `normalising`: it stores URLs with a trailing slash and header values trimmed, and answers
    /// with what it stored (as a server may).
    init(config: String, raceFirstPosts: Bool, normalising: Bool = false) throws {
        let hooks = self.hooks, counter = self.counter
        let raced = Locked<Set<String>>([])
        let collection = "/api/v1/whatsapp_configs/\(config)/whatsapp_webhooks"
        server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            func json(_ status: Int, _ value: JSONValue) -> RawResponse {
                RawResponse(status: status, headers: ["Content-Type": "application/json"], body: value.serialized())
            }
            func normalise(_ body: inout [String: JSONValue]) {
                guard normalising else { return }
                if let url = text(body["url"]), !url.hasSuffix("/") { body["url"] = .string(url + "/") }
                if case .object(let headers)? = body["headers"] {
                    body["headers"] = .object(headers.mapValues { value in text(value).map { .string($0.trimmingCharacters(in: .whitespaces)) } ?? value })
                }
            }
            if request.method == "PATCH", request.path.hasPrefix(collection + "/") {
                let id = String(request.path.dropFirst(collection.count + 1))
                guard case .object(let changes)? = try? JSONValue.parse(request.body)["whatsapp_webhook"] else { return json(422, ["error": "param is missing"]) }
                let updated = hooks.withLock { list -> JSONValue? in
                    guard let index = list.firstIndex(where: { text($0["id"]) == id }), case .object(var hook) = list[index] else { return nil }
                    for (key, value) in changes { hook[key] = value }
                    normalise(&hook)
                    list[index] = .object(hook)
                    return .object(hook)
                }
                return updated.map { json(200, ["data": $0]) } ?? json(404, ["error": "Not Found"])
            }
            guard request.path == collection else { return json(404, ["error": "Not Found"]) }
            switch request.method {
            case "GET":
                let filter = request.query.first { $0.name == "q[url_cont]" }?.value
                let list = hooks.withLock { $0 }.filter { hook in filter.map { f in text(hook["url"])?.contains(f) == true } ?? true }
                return json(200, ["data": .array(list.reversed()), "meta": ["page": 1, "per_page": 100, "total_pages": 1, "total_count": .int(list.count)]])
            case "POST":
                guard case .object(var body)? = try? JSONValue.parse(request.body)["whatsapp_webhook"], let url = text(body["url"]) else {
                    return json(422, ["error": "param is missing"])
                }
                let made = { () -> JSONValue in
                    let n = counter.withLock { value -> Int in value += 1; return value }
                    body["id"] = .string(String(format: "00000000-0000-4000-8000-%012d", n))
                    body["created_at"] = .string(String(format: "2026-12-01T00:00:%02dZ", n % 60))
                    return .object(body)
                }
                if raceFirstPosts && raced.withLock({ $0.insert(url).inserted }) {
                    hooks.withLock { $0.append(made()) }
                    return json(422, ["error": "Url has already been taken"])
                }
                let taken = hooks.withLock { list in list.contains { text($0["url"]) == url } }
                if taken { return json(422, ["error": "Url has already been taken"]) }
                normalise(&body)
                let hook = made()
                hooks.withLock { $0.append(hook) }
                return json(201, ["data": hook])
            default:
                return json(405, ["error": "Method Not Allowed"])
            }
        }
    }

    var urls: [String] { hooks.withLock { $0 }.compactMap { text($0["url"]) } }
    var environment: [String: String] { ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": server.origin.absoluteString + "/api/v1", "SECRET": secretCanary] }
    func stop() { server.stop() }
}

private func text(_ value: JSONValue?) -> String? {
    if case .string(let text)? = value { return text }
    return nil
}

@Suite struct UniqueURLServerTests {
    private let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
        + (0..<4).map { "      - {url: https://hooks.example.com/u\($0), secret_key: \"${SECRET}\", events: [whatsapp.message.sent]}\n" }.joined()

    private func directory() throws -> URL {
        let dir = try makeTemporaryDirectory()
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Every create loses the race: each is settled as the concurrent-apply case, exit 0.
    @Test func aCreateRefusedAsTakenIsTheConcurrentApplyCase() async throws {
        let server = try UniqueURLServer(config: supportConfig, raceFirstPosts: true)
        defer { server.stop() }
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let apply = try await runKapsoctl(["apply", "--auto-approve"], environment: server.environment, directory: dir)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.components(separatedBy: "created by a concurrent apply (the server refused a second: Url has already been taken)").count == 5, "\(apply.stdout)")
        #expect(server.urls.sorted() == (0..<4).map { "https://hooks.example.com/u\($0)" })
        expectNoCanary(apply.stdout, apply.stderr)
    }

    /// Three applies at once against a server that refuses duplicates: all exit 0, one webhook each.
    @Test func threeAppliesAtOnce() async throws {
        let server = try UniqueURLServer(config: supportConfig, raceFirstPosts: false)
        defer { server.stop() }
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = server.environment
        let results = try await withThrowingTaskGroup(of: RunResult.self) { group in
            for _ in 0..<3 { group.addTask { try await runKapsoctl(["apply", "--auto-approve"], environment: env, directory: dir) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for result in results { #expect(result.status == 0, "\(result.stdout)\(result.stderr)") }
        #expect(server.urls.sorted() == (0..<4).map { "https://hooks.example.com/u\($0)" })
    }

    /// A server that stores the URL with a trailing slash and trims header values: apply proves
    /// convergence from the write's answer — the URL is the same webhook (no second create on the
    /// next run), the trimmed header is said per field, and the run exits non-zero.
    @Test func aServerThatNormalisesWhatItStores() async throws {
        let server = try UniqueURLServer(config: supportConfig, raceFirstPosts: false, normalising: true)
        defer { server.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n"
            + (0..<5).map { "      - {url: https://hooks.example.com/n\($0), secret_key: \"${SECRET}\", events: [whatsapp.message.sent]}\n" }.joined()
            + "      - {url: https://hooks.example.com/h, secret_key: \"${SECRET}\", events: [whatsapp.message.sent], headers: {X-Team: \" blue \"}}\n"
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let first = try await runKapsoctl(["apply", "--auto-approve"], environment: server.environment, directory: dir)
        #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("FAILED         create https://hooks.example.com/h in config \(supportConfig): created with id "), "\(first.stdout)")
        #expect(first.stdout.contains(", but the server stores header X-Team differently from what was sent (trimmed or rewritten; values not shown)"), "\(first.stdout)")
        #expect(first.stdout.contains("Apply: 5 done, 1 failed, 0 not attempted."), "\(first.stdout)")
        let second = try await runKapsoctl(["apply", "--auto-approve"], environment: server.environment, directory: dir)
        #expect(server.urls.count == 6, "created again: \(server.urls)")
        #expect(second.status == 3, "\(second.stdout)")
        #expect(second.stdout.contains("updated headers, but the server stores header X-Team differently"), "\(second.stdout)")
        expectNoCanary(first.stdout, first.stderr, second.stdout, second.stderr)
    }
}
