import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// A webhook receiver on loopback (a raw-socket server, one thread per connection) that records
/// every request and answers as `answer` decides.
final class Receiver: Sendable {
    let server: RawHTTPServer
    private let seen: Locked<[RawRequest]>

    init(_ answer: @escaping @Sendable (RawRequest) async -> RawResponse) throws {
        let seen = Locked<[RawRequest]>([])
        self.seen = seen
        server = try RawHTTPServer(mode: .closeAfter(1)) { request in
            seen.withLock { $0.append(request) }
            return await answer(request)
        }
    }

    /// A receiver that checks `X-Webhook-Signature` against `secret`, as a correct one does: 200 when
    /// it matches, 401 otherwise.
    static func checking(_ secret: String) throws -> Receiver {
        try Receiver { request in
            let expected = SampleDelivery.signature(of: Array(request.body), secretKey: secret)
            return RawResponse(status: request.headers["x-webhook-signature"] == expected ? 200 : 401)
        }
    }

    var requests: [RawRequest] { seen.withLock { $0 } }
    func url(_ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }
    func stop() { server.stop() }
}

let verifyConfig = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
private let oldSecret = "CANARY-old-secret-7071"

/// A legacy spec with one webhook per URL, all signed with `${SECRET}` and carrying an
/// `Authorization` header from `${TOKEN}`.
func verifySpec(_ urls: [String], events: [String] = ["whatsapp.message.received", "whatsapp.message.sent"]) -> String {
    var spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(verifyConfig)\n    name: support line\n    webhooks:\n"
    for url in urls {
        spec += """
              - url: \(url)
                secret_key: ${SECRET}
                events: [\(events.joined(separator: ", "))]
                headers: {X-Team: support, Authorization: "Bearer ${TOKEN}"}

        """
    }
    return spec
}

/// The head of a Platform spec: one phone number, whose webhooks follow (indented by 6).
private let numberSpecHead = "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1234567890\"\n    webhooks:\n"

/// Runs `kapsoctl verify` in a directory holding `spec` as webhooks.yaml. `trusting` loopback
/// (the default): the receivers' host is allowed as a workflow would allow it, and private
/// addresses are allowed (the receivers are on loopback).
private func verify(_ spec: String, _ arguments: [String] = [], environment extra: [String: String] = [:],
                    trustingLoopback: Bool = true) async throws -> RunResult {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
    var environment = ["SECRET": secretCanary, "TOKEN": tokenCanary]
    if trustingLoopback { environment["KAPSOCTL_VERIFY_HOSTS"] = "127.0.0.1" }
    environment.merge(extra) { _, new in new }
    return try await runKapsoctl(["verify"] + arguments + (trustingLoopback ? ["--allow-private-addresses"] : []), environment: environment, directory: dir)
}

/// The output with measured times replaced: the one thing that varies between runs.
private func normalized(_ text: String) -> String {
    text.replacingOccurrences(of: #"\d+ ms"#, with: "N ms", options: .regularExpression)
}

@Suite struct VerifyTests {
    /// The receivers of the issue, in one run with the probe: one that checks signatures (passes),
    /// one that knows only the old secret (a signature mismatch), one that accepts anything (flagged
    /// by the probe), one that redirects (not followed), one that drops the connection.
    @Test func receiversOfEveryKind() async throws {
        let good = try Receiver.checking(secretCanary)
        let old = try Receiver.checking(oldSecret)
        let anything = try Receiver { _ in RawResponse(status: 204) }
        // The Location carries a credential and a control character: masked, and escaped.
        let moved = try Receiver { _ in RawResponse(status: 301, headers: ["Location": "https://new.example.com/hook?token=\(tokenCanary)&x=\u{1B}[31m"]) }
        let dropping = try Receiver { _ in RawResponse(status: 0, drop: true) }
        defer { [good, old, anything, moved, dropping].forEach { $0.stop() } }
        let spec = verifySpec([good.url("/good"), old.url("/old"), anything.url("/any"), moved.url("/moved"), dropping.url("/drop")])

        let run = try await verify(spec, ["--probe-signature"])
        #expect(run.status == 1, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        /// The lines of the block of the webhook at `path`.
        func block(_ path: String) -> [String] {
            guard let start = lines.firstIndex(where: { $0.hasPrefix("  http://") && $0.contains(path + " — ") }) else { return [] }
            return Array(lines[(start + 1)...].prefix { $0.hasPrefix("    ") })
        }
        #expect(lines.first == "Config \(verifyConfig) (support line)")
        #expect(lines.contains("  \(good.url("/good")) — whatsapp.message.received, payload v2"), "\(run.stdout)")
        #expect(block("/good").count == 2 && block("/good")[0].hasPrefix("    ok: answered 200 in "), "\(block("/good"))")
        #expect(block("/good")[1].hasPrefix("    signatures checked: a wrong signature got 401 in "), "\(block("/good"))")
        #expect(block("/old")[0].hasPrefix("    failed: answered 401 in "), "\(block("/old"))")
        #expect(block("/old")[0].hasSuffix("to a correctly signed delivery: the receiver refused the signature — it does not have this secret_key (a rotation it has not picked up yet?)"))
        #expect(block("/any")[0].hasPrefix("    ok: answered 204 in "), "\(block("/any"))")
        #expect(block("/any")[1].hasPrefix("    NOT VERIFYING SIGNATURES: accepted a delivery with a wrong signature (204 in "), "\(block("/any"))")
        #expect(block("/any")[1].contains(") and with no signature (204 in ") && block("/any")[1].hasSuffix(": anyone who knows the URL can send it events"))
        #expect(block("/moved")[0].hasPrefix("    failed: answered 301 in "), "\(block("/moved"))")
        #expect(block("/moved")[0].contains("a redirect to https://new.example.com/hook?token=(sensitive)&x=\\u001B[31m: Kapso does not follow redirects"),
                "\(block("/moved"))")
        #expect(block("/drop") == ["    failed: the server closed the connection without answering"], "\(block("/drop"))")
        #expect(run.stdout.hasSuffix("\nVerify: 1 passed, 4 failed (1 not verifying signatures).\n"), "\(run.stdout)")
        #expect(!run.stdout.contains("\u{1B}"))

        // Each receiver got the signed delivery, and those that accepted it the two probes; a
        // redirect was not followed (one request, nothing else contacted).
        for (receiver, count) in [(good, 3), (anything, 3), (old, 1), (moved, 1), (dropping, 1)] {
            #expect(receiver.requests.count == count, "\(receiver.requests.map(\.path))")
        }
        let signed = try #require(good.requests.first)
        #expect(signed.method == "POST" && signed.path == "/good")
        #expect(signed.headers["content-type"] == "application/json")
        #expect(signed.headers["x-webhook-event"] == "whatsapp.message.received")
        #expect(signed.headers["x-webhook-payload-version"] == "v2")
        #expect(signed.headers["x-webhook-test"] == "true")
        #expect(signed.headers["x-team"] == "support" && signed.headers["authorization"] == "Bearer \(tokenCanary)")
        #expect(signed.headers["user-agent"] == "kapsoctl/\(KapsoctlVersion.current)")
        let keys = good.requests.compactMap { $0.headers["x-idempotency-key"] }
        #expect(Set(keys).count == 3 && keys.allSatisfy { UUID(uuidString: $0) != nil }, "\(keys)")
        #expect(good.requests[1].headers["x-webhook-signature"] != signed.headers["x-webhook-signature"])
        #expect(good.requests[2].headers["x-webhook-signature"] == nil)
        #expect(good.requests.allSatisfy { $0.body == signed.body })
        let body = try JSONValue.parse(signed.body)
        #expect(body["message"]?["kapso"]?["direction"] == "inbound")
        #expect(body["phone_number_id"] != nil && body["conversation"]?["id"] != nil)

        // The signature is the one openssl computes over the exact bytes received.
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try signed.body.write(to: dir.appendingPathComponent("body.json"))
        let openssl = try await runTool(URL(fileURLWithPath: "/usr/bin/openssl"), ["dgst", "-sha256", "-hmac", secretCanary, "-r", "body.json"], directory: dir)
        let hex = openssl.output.split(separator: " ").first.map(String.init)
        #expect(hex != nil && hex == signed.headers["x-webhook-signature"], "\(openssl.output)")

        // Neither the secret, the token nor any signature sent is printed.
        let signatures = [good, old, anything, moved].flatMap(\.requests).compactMap { $0.headers["x-webhook-signature"] }
        for text in [run.stdout, run.stderr] {
            expectNoCanary(text)
            #expect(!signatures.contains { text.contains($0) })
        }

        // The same run again prints the same, but for the measured times.
        let again = try await verify(spec, ["--probe-signature"])
        #expect(normalized(again.stdout) == normalized(run.stdout))
    }

    /// A receiver that checks signatures passes alone (exit 0); `--url` selects it, `--event`
    /// chooses the event, and a webhook not subscribed to it is left out.
    @Test func selectionAndExitZero() async throws {
        let good = try Receiver.checking(secretCanary)
        let other = try Receiver.checking(secretCanary)
        defer { good.stop(); other.stop() }
        let spec = verifySpec([good.url("/a")]) + """
              - url: \(other.url("/b"))
                secret_key: ${SECRET}
                events: [whatsapp.conversation.created]

        """
        let one = try await verify(spec, ["--url", good.url("/a")])
        #expect(one.status == 0, "\(one.stdout)\(one.stderr)")
        #expect(one.stdout.hasSuffix("Verify: 1 passed, 0 failed.\n"))
        #expect(good.requests.count == 1 && other.requests.isEmpty)

        let sent = try await verify(spec, ["--event", "whatsapp.message.sent"])
        #expect(sent.status == 0, "\(sent.stdout)\(sent.stderr)")
        #expect(good.requests.last?.headers["x-webhook-event"] == "whatsapp.message.sent")
        #expect(try JSONValue.parse(good.requests.last!.body)["message"]?["kapso"]?["status"] == "sent")
        #expect(other.requests.isEmpty, "a webhook not subscribed to the event was sent it")

        let both = try await verify(spec, ["--config", verifyConfig])
        #expect(both.status == 0 && both.stdout.hasSuffix("Verify: 2 passed, 0 failed.\n"), "\(both.stdout)")
        #expect(other.requests.last?.headers["x-webhook-event"] == "whatsapp.conversation.created")

        let unknown = try await verify(spec, ["--url", "https://nowhere.example.com/x"])
        #expect(unknown.status == 1 && unknown.stderr.contains("error: --url https://nowhere.example.com/x is not declared"), "\(unknown.stderr)")
        let noneSubscribed = try await verify(spec, ["--event", "whatsapp.message.failed"])
        #expect(noneSubscribed.status == 1 && noneSubscribed.stderr.contains("error: no selected webhook subscribes to whatsapp.message.failed"))
        let badEvent = try await verify(spec, ["--event", "Not An Event"])
        #expect(badEvent.status == 1 && badEvent.stderr.contains("is not an event name"))
        let unset = try await verify(spec, [], environment: ["SECRET": ""])
        #expect(unset.status == 1 && unset.stderr.contains("SECRET"), "\(unset.stderr)")
        #expect(good.requests.count == 3 && other.requests.count == 1, "a refused run sent something")
    }

    /// `--format github`: the report fenced by stop-commands (it quotes receivers' text), then an
    /// error annotation at the declaration of each endpoint that failed; a notice when none did.
    @Test func githubAnnotations() async throws {
        let good = try Receiver.checking(secretCanary)
        let old = try Receiver.checking(oldSecret)
        defer { good.stop(); old.stop() }
        let spec = verifySpec([good.url("/good"), old.url("/old")])
        let run = try await verify(spec, ["--format", "github"])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let fence = try #require(lines.first.flatMap { $0.hasPrefix("::stop-commands::") ? String($0.dropFirst(17)) : nil })
        let resume = try #require(lines.firstIndex(of: "::\(fence)::"))
        #expect(lines[resume - 1] == "Verify: 1 passed, 1 failed.")
        #expect(Array(lines[(resume + 1)...]) == [
            "::error file=webhooks.yaml,line=10,col=9,title=kapsoctl verify::\(old.url("/old")): failed: answered 401 in "
                + (lines.last!.components(separatedBy: "answered 401 in ").last ?? ""),
        ], "\(lines[(resume + 1)...])")
        #expect(lines.last!.hasSuffix("it does not have this secret_key (a rotation it has not picked up yet?)"))

        let passing = try await verify(spec, ["--format", "github", "--url", good.url("/good")])
        #expect(passing.status == 0)
        #expect(passing.stdout.hasSuffix("Verify: 1 passed, 0 failed.\n::\(passing.stdout.prefix { $0 != "\n" }.dropFirst(17))::\n::notice title=kapsoctl verify::Verify: 1 passed, 0 failed.\n"), "\(passing.stdout)")
        let badSpec = try await verify("version: 1\nconfigs: [\n", ["--format", "github"])
        #expect(badSpec.status == 1 && badSpec.stdout.hasPrefix("::error file=webhooks.yaml,line="), "\(badSpec.stdout)")
        expectNoCanary(run.stdout, run.stderr, passing.stdout)
    }

    /// `--dry-run` sends nothing and prints each delivery with the signature and sensitive header
    /// values masked.
    @Test func dryRunSendsNothing() async throws {
        let good = try Receiver.checking(secretCanary)
        defer { good.stop() }
        let run = try await verify(verifySpec([good.url("/a")]), ["--dry-run", "--probe-signature"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(good.requests.isEmpty)
        for line in ["    POST \(good.url("/a"))", "    X-Webhook-Signature: (sensitive)", "    Authorization: (sensitive)", "    X-Team: support",
                     "    X-Webhook-Event: whatsapp.message.received", "    X-Webhook-Test: true", "    X-Idempotency-Key: (a new UUID for each delivery)",
                     "    (and the same with a wrong signature, and with none)", "Verify (dry run): nothing was sent."] {
            #expect(run.stdout.contains(line + "\n"), "missing \(line)\n\(run.stdout)")
        }
        #expect(run.stdout.contains("\"direction\": \"inbound\""))
        expectNoCanary(run.stdout, run.stderr)
    }

    /// Many webhooks at once: each gets exactly one delivery, within the parallelism.
    @Test func manyEndpointsAtOnce() async throws {
        let flight = Locked((now: 0, most: 0))
        let receiver = try Receiver { request in
            flight.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            try? await Task.sleep(for: .milliseconds(20))  // deliberate delay: keeps deliveries in flight together
            flight.withLock { $0.now -= 1 }
            return RawResponse(status: SampleDelivery.signature(of: Array(request.body), secretKey: secretCanary) == request.headers["x-webhook-signature"] ? 200 : 401)
        }
        defer { receiver.stop() }
        let run = try await verify(verifySpec((0..<40).map { receiver.url("/\($0)") }), ["--parallelism", "8"])
        #expect(run.status == 0 && run.stdout.hasSuffix("Verify: 40 passed, 0 failed.\n"), "\(run.stdout)\(run.stderr)")
        #expect(receiver.requests.count == 40)
        #expect(Set(receiver.requests.map(\.path)).count == 40)
        let most = flight.withLock { $0.most }
        #expect(most <= 8 && most > 1, "\(most) in flight at most")
    }

    /// A receiver behind a self-signed certificate fails in words; trusted through SSL_CERT_FILE it passes.
    @Test func selfSignedCertificate() async throws {
        let good = try Receiver.checking(secretCanary)
        defer { good.stop() }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let made = try await runTool(URL(fileURLWithPath: "/usr/bin/openssl"),
                                     ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "self.key", "-out", "self.pem", "-days", "2",
                                      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], directory: dir)
        #expect(made.status == 0, "\(made.output)")
        let front = try BackgroundProcess([pythonInterpreter(packageRoot: packageRoot), packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/network_fronts.py").path, "tls",
                                           dir.appendingPathComponent("self.pem").path, dir.appendingPathComponent("self.key").path, String(good.server.port)])
        defer { front.stop() }
        let port = try #require(await front.line(startingWith: "listening on ").flatMap { Int($0.dropFirst("listening on ".count)) })
        let spec = verifySpec(["https://127.0.0.1:\(port)/tls"])

        let untrusted = try await verify(spec)
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.contains("    failed: cannot connect securely: the server's TLS certificate is not trusted"), "\(untrusted.stdout)")
        #expect(good.requests.isEmpty)

        let trusted = try await verify(spec, [], environment: ["SSL_CERT_FILE": dir.appendingPathComponent("self.pem").path])
        #expect(trusted.status == 0, "\(trusted.stdout)\(trusted.stderr)")
        #expect(good.requests.count == 1)
    }

    /// No connection, no such host and an answer too large are said in words; so is output that
    /// cannot be written.
    @Test func unreachableEndpointsAndAFullDisk() async throws {
        let refused = try RefusedPort()
        let port = refused.port
        let huge = try Receiver { _ in RawResponse(status: 200, body: Data(repeating: 0x41, count: 2 << 20)) }
        defer { huge.stop() }
        let spec = verifySpec(["http://127.0.0.1:\(port)/gone", "https://kapsoctl-test.invalid/hook", huge.url("/huge")])
        let run = try await verify(spec, ["--allow-host", "kapsoctl-test.invalid"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("/huge — whatsapp.message.received, payload v2\n    failed: unusable answer: the response is larger than 1048576 bytes\n"), "\(run.stdout)")
        #expect(run.stdout.contains("/gone — whatsapp.message.received, payload v2\n    failed: could not connect to the host (connection refused or host unreachable)\n"), "\(run.stdout)")
        #expect(run.stdout.contains("/hook — whatsapp.message.received, payload v2\n    failed: could not resolve the host name\n"), "\(run.stdout)")
        #expect(run.stdout.hasSuffix("Verify: 0 passed, 3 failed.\n"))
        withExtendedLifetime(refused) {}

        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let full = try await runKapsoctl(["verify", "--dry-run"], environment: ["SECRET": secretCanary, "TOKEN": tokenCanary], directory: dir,
                                         standardOutput: FileHandle(forWritingAtPath: "/dev/full"))
        #expect(full.status == 1 && full.stderr.contains("error: cannot write to standard output: No space left on device"), "\(full.stderr)")
    }

    /// Only https (or http to loopback) is ever sent to; a spec cannot name anything else, and a
    /// webhook that cannot be signed or is `kind: meta` is reported, not skipped silently.
    @Test func whatIsNeverSent() async throws {
        #expect(EndpointVerifier.refusal("http://hooks.example.com/x") != nil)
        #expect(EndpointVerifier.refusal("ftp://127.0.0.1/x") != nil)
        #expect(EndpointVerifier.refusal("https://hooks.example.com/x") == nil)
        #expect(EndpointVerifier.refusal("http://127.0.0.1:9/x") == nil)
        #expect(EndpointVerifier.refusal("https://hooks.example.com/x", loopbackOnly: true) == "not on loopback")
        #expect(EndpointVerifier.refusal("https://localhost:8443/x", loopbackOnly: true) == nil)
        let good = try Receiver.checking(secretCanary)
        defer { good.stop() }
        let spec = numberSpecHead + """
                  - url: \(good.url("/meta"))
                    kind: meta
                    secret_key: ${SECRET}
                  - url: \(good.url("/unsigned"))
                    events: [whatsapp.message.received]
            """
        let run = try await verify(spec)
        #expect(run.status == 1)
        #expect(run.stdout.contains("    not verified: kind: meta receives Meta's own payload"), "\(run.stdout)")
        #expect(run.stdout.contains("    not verified: " + ServerSecrets.unread), "\(run.stdout)")
        #expect(run.stdout.hasSuffix("Verify: 0 passed, 2 failed.\n"))
        #expect(good.requests.isEmpty)
    }

    /// `--via-kapso`: Kapso (the simulator) is asked to send a test delivery; it delivers it, signed,
    /// to the loopback receiver. A webhook not on the server fails; the legacy API has no such route.
    @Test func throughKapso() async throws {
        let good = try Receiver.checking(secretCanary)
        defer { good.stop() }
        let hookID = "66666666-6666-4666-8666-666666666666"
        let seed = SimulatorSeed(phoneNumbers: [SimulatorSeed.PhoneNumber(phoneNumberID: "1234567890", webhooks: [
            .object(["id": .string(hookID), "url": .string(good.url("/kapso")), "secret_key": .string(secretCanary),
                     "events": ["whatsapp.message.received", "whatsapp.conversation.created"], "payload_version": "v1"]),
        ])])
        let spec = numberSpecHead + """
                  - url: \(good.url("/kapso"))
                    secret_key: ${SECRET}
                    payload_version: v1
                    events: [whatsapp.message.received, whatsapp.conversation.created, whatsapp.message.sent]
                  - url: \(good.url("/missing"))
                    secret_key: ${SECRET}
                    events: [whatsapp.conversation.created]
            """
        try await withRunningSimulator(seed: seed, apiKey: apiKey) { simulator, url in
            let env = ["KAPSO_API_URL": KapsoSimulator.platformURL(from: url).absoluteString, "KAPSO_API_KEY": apiKey]
            // A dry run reads the project, says what it would ask, and asks nothing.
            let dry = try await verify(spec, ["--via-kapso", "--dry-run", "--event", "whatsapp.conversation.created"], environment: env)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains(#"    would ask Kapso: POST /whatsapp/webhooks/\#(hookID)/test {"event_type": "whatsapp.conversation.created"}"#), "\(dry.stdout)")
            #expect(dry.stdout.contains("    would not ask: not on the server (apply first)"))
            #expect(dry.stdout.hasSuffix("Verify (dry run): nothing was sent.\n"))
            #expect(await simulator.writes().isEmpty)

            let run = try await verify(spec, ["--via-kapso", "--event", "whatsapp.conversation.created"], environment: env)
            #expect(run.status == 1, "\(run.stderr)")
            #expect(run.stdout.contains("    queued: Kapso accepted the test"), "\(run.stdout)")
            #expect(run.stdout.contains("    not verified: it is not on the server (kapsoctl apply creates it)"))
            #expect(run.stdout.hasSuffix("Verify (via Kapso): 1 queued, 1 failed.\n"))
            let tests = await simulator.store.journal().filter { $0.path.hasSuffix("/test") }
            #expect(tests.map(\.path) == ["/platform/v1/whatsapp/webhooks/\(hookID)/test"])
            #expect(tests.first?.body == #"{"event_type":"whatsapp.conversation.created"}"#)

            await simulator.store.waitForDeliveries(1)
            #expect(await simulator.store.deliveries().map(\.status) == [200])
            let delivered = try #require(good.requests.first)
            #expect(delivered.headers["x-webhook-event"] == "whatsapp.conversation.created")
            #expect(delivered.headers["x-webhook-payload-version"] == "v1")
            #expect(try JSONValue.parse(delivered.body)["whatsapp_config"] != nil)
            #expect(good.requests.count == 1)

            // An event the spec declares but the server's webhook does not receive: Kapso refuses
            // it (422), said in words with the request.
            let refused = try await verify(spec, ["--via-kapso", "--event", "whatsapp.message.sent", "--url", good.url("/kapso")], environment: env)
            #expect(refused.status == 1)
            #expect(refused.stdout.contains("    failed: POST /whatsapp/webhooks/\(hookID)/test"), "\(refused.stdout)")
            #expect(refused.stdout.contains("event_type must be one of the events the webhook is configured to receive"), "\(refused.stdout)")
            #expect(good.requests.count == 1)
            let legacy = try await verify(verifySpec([good.url("/x")]), ["--via-kapso"], environment: env)
            #expect(legacy.status == 1 && legacy.stderr.contains("--via-kapso needs the Platform API"), "\(legacy.stderr)")
            expectNoCanary(run.stdout, run.stderr, refused.stdout, legacy.stderr)
        }
    }
}
