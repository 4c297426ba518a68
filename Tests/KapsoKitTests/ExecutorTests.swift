import Foundation
import KapsoSimulator
import TestSupport
import Testing
@testable import KapsoKit

private let key = "executor-key"
private let config = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"

/// Plans a create of `https://new.example.com/hook` against an empty config, then lets `between`
/// change the server before the executor runs, and returns the report and the simulator's journal.
private func applyAfterChange(_ between: (URL) async throws -> Void) async throws -> (ApplyReport, [JournalEntry]) {
    try await withRunningSimulator(seed: SimulatorSeed(configs: [SimulatorSeed.Config(id: config)]), apiKey: key) {
        try await run($0, $1, between)
    }
}

private func run(_ simulator: KapsoSimulator, _ url: URL, _ between: (URL) async throws -> Void) async throws -> (ApplyReport, [JournalEntry]) {
    let client = KapsoClient(baseURL: url, apiKey: key, transport: CurlTransport())
    let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(config)\n    webhooks:\n      - {url: https://new.example.com/hook, secret_key: s, events: [whatsapp.message.sent]}\n"
    let desired = try loadSpec(spec).get().configs
    let observed = ObservedState(webhooks: [.config(config): try await client.listWebhooks(in: .config(config))])
    let plan = try Planner.plan(desired, observed: observed)
    try await between(url)
    await simulator.store.clearJournal()
    let report = await Executor(client: client, parallelism: 4).apply(plan.writes, observed: observed)
    return (report, await simulator.store.journal())
}

/// Creates a webhook on the server behind the plan's back, as a concurrent apply would.
private func createBehindTheBack(_ url: URL, events: [String]) async throws {
    let client = KapsoClient(baseURL: url, apiKey: key, transport: CurlTransport())
    _ = try await client.createWebhook(in: .config(config), attributes: WebhookAttributes([.url: "https://new.example.com/hook", .secretKey: "s", .events: .list(events)]))
}

@Suite struct ExecutorTests {
    @Test func aCreateIsNotSentWhenTheWebhookExistsByNow() async throws {
        let (report, journal) = try await applyAfterChange { try await createBehindTheBack($0, events: ["whatsapp.message.sent"]) }
        #expect(journal.allSatisfy { $0.method == "GET" }, "a POST went out for a URL that exists")
        #expect(journal.map(\.query) == ["q[url_cont]=https%3A%2F%2Fnew.example.com%2Fhook&page=1&per_page=100"])
        guard case .done(let detail) = report.entries.first?.outcome else { Issue.record("\(report.entries)"); return }
        #expect(detail.hasPrefix("already exists with id "))
        #expect(detail.hasSuffix("not created again"))
        #expect(report.exitCode == 0)
    }

    @Test func aCreateIsRefusedWhenADifferentWebhookExistsByNow() async throws {
        let (report, journal) = try await applyAfterChange { try await createBehindTheBack($0, events: ["whatsapp.message.read"]) }
        #expect(journal.allSatisfy { $0.method == "GET" })
        guard case .failed(let reason) = report.entries.first?.outcome else { Issue.record("\(report.entries)"); return }
        #expect(reason.contains("not created: a webhook with this URL was created since the plan (id "))
        #expect(reason.hasSuffix("and differs from the spec; run plan again"))
        #expect(report.exitCode == 1)
    }

    @Test func anUntouchedServerGetsTheCreate() async throws {
        let (report, journal) = try await applyAfterChange { _ in }
        #expect(journal.map(\.method) == ["GET", "POST", "GET"], "check, create, look for concurrent copies")
        #expect(report.exitCode == 0)
    }

    @Test func everyRunKeepsTheSameCopy() {
        func hook(_ id: String, _ created: String?) -> ServerWebhook {
            ServerWebhook(id: id, attributes: WebhookAttributes([.url: "https://x.example.com"]), createdAt: created)
        }
        let older = hook("b", "2026-01-01T00:00:00.500Z")
        let newer = hook("a", "2026-01-01T00:00:01Z")
        let tieSmallID = hook("a", "2026-01-01T00:00:00.500Z")
        let noDate = hook("0", nil)
        for (copies, kept) in [([newer, older], "b"), ([older, tieSmallID], "a"), ([noDate, newer], "a")] {
            #expect(copies.min(by: Executor.keptFirst)?.id == kept)
            #expect(copies.reversed().min(by: Executor.keptFirst)?.id == kept)
        }
    }
}

/// Bugs a seeded-mutation run found the suite would let through (issue 16, item 17).
@Suite struct SeededBugTests {
    /// A prune delete and a Platform replace that meet 404: the webhook is already gone.
    @Test func deletesThatMeetA404() async throws {
        let gone = "99999999-8888-4777-8666-555555555555"
        try await withRunningSimulator(seed: SimulatorSeed(configs: [SimulatorSeed.Config(id: config)],
                                                           phoneNumbers: [SimulatorSeed.PhoneNumber(phoneNumberID: "1234567890")]),
                                       apiKey: key) { _, url in
            let client = KapsoClient(baseURL: url, apiKey: key, transport: CurlTransport())
            let delete = PlannedWrite(scope: .config(config), displayURL: "https://old.example.com/x", request: .delete(webhookID: gone))
            let report = await Executor(client: client, parallelism: 2).apply([delete], observed: ObservedState(webhooks: [.config(config): []]))
            #expect(report.entries.map(\.outcome) == [.done("already gone (404)")])
            #expect(report.exitCode == 0)

            let platform = KapsoClient(baseURL: KapsoSimulator.platformURL(from: url), apiKey: key, transport: CurlTransport())
            let replace = PlannedWrite(scope: .phoneNumber("1234567890"), displayURL: "https://new.example.com/meta", request:
                .replace(deleting: gone, in: .phoneNumber("1234567890"), WebhookAttributes([.url: "https://new.example.com/meta", .secretKey: "s3cret", .kind: "meta"])))
            let replaced = await Executor(client: platform, parallelism: 2).apply([replace], observed: ObservedState(webhooks: [.phoneNumber("1234567890"): []]))
            guard case .done = replaced.entries.first?.outcome else {
                Issue.record("\(replaced.entries.map(\.outcome))")
                return
            }
        }
    }

    @Test func theRedactorAtTheEdges() {
        let redactor = Redactor(["s3cr", "longer-secret-value"])
        #expect(redactor.redact("s3cr") == Redactor.mask)
        #expect(redactor.redact("x=s3cr") == "x=" + Redactor.mask)
        #expect(redactor.redact("s3cr=x") == Redactor.mask + "=x")
        #expect(redactor.redact("longer-secret-value") == Redactor.mask)
        #expect(redactor.redact("a longer-secret-value") == "a " + Redactor.mask)
        #expect(redactor.redact("s3c") == "s3c")
        #expect(Redactor(["abc"]).isEmpty, "shorter than the documented minimum")
        #expect(Redactor.minimumLength == 4)
    }

    @Test(arguments: [0x2066, 0x2067, 0x2068, 0x2069, 0x202E, 0x200F, 0x061C, 0x1B, 0x7F, 0x85])
    func bidirectionalAndControlCharactersAreEscaped(_ value: Int) {
        let scalar = Unicode.Scalar(UInt32(value))!
        let escaped = HumanText.escape("a\(Character(scalar))b")
        #expect(!escaped.unicodeScalars.contains(scalar))
        #expect(escaped.contains("\\u"))
    }
}

/// What the server stored differently from what was sent, said per field (issue 16, item 7).
@Suite struct StoredDifferencesTests {
    @Test func perField() {
        let sent = WebhookAttributes([.url: "https://a.example.com/Hook", .secretKey: "s3cret", .events: ["whatsapp.message.sent"],
                                      .active: true, .headers: ["X-Team": "blue"]])
        func stored(_ values: [Attribute: FieldValue]) -> ServerWebhook {
            var attributes = sent
            for (attribute, value) in values { attributes[attribute] = value }
            return ServerWebhook(id: "11111111-1111-4111-8111-111111111111", attributes: attributes)
        }
        #expect(StoredDifferences.lines(sent: sent, stored: stored([:])).isEmpty)
        // Tolerated: the same webhook for the next plan.
        #expect(StoredDifferences.lines(sent: sent, stored: stored([.url: "https://A.example.com:443/Hook/"])).isEmpty)
        #expect(StoredDifferences.lines(sent: sent, stored: stored([.secretKey: "****"])).isEmpty, "a hidden secret says nothing")
        #expect(StoredDifferences.lines(sent: sent, stored: stored([.url: "https://a.example.com/hook"])) == [
            "the server stores the URL as https://a.example.com/hook; write that in the spec, or every apply would create it again"])
        #expect(StoredDifferences.lines(sent: sent, stored: stored([.active: false])) == ["the server stores active as false (sent true); write that in the spec"])
        let secret = StoredDifferences.lines(sent: sent, stored: stored([.secretKey: "other-value"]))
        #expect(secret == ["the server stores secret_key differently from what was sent (values not shown)"])
        let header = StoredDifferences.lines(sent: sent, stored: stored([.headers: ["x-team": "Blue"]]))
        #expect(header.count == 1 && header[0].contains("header X-Team differently") && !header[0].contains("Blue"))
    }
}
