import Foundation
@testable import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Issue: `url: https://hook:${PW}@host/h?token=${QTOK}` put both values in every plan format, the
/// saved plan, the apply report, export's variable names and stderr. A value substituted from the
/// environment is a secret wherever it appears.
@Suite struct SecretURLTests {
    static let password = "CANARY-url-pw-7001"
    static let pathToken = "CANARY-url-path-7002"
    static let queryToken = "CANARY-url-query-7003"
    static let canaries = [password, pathToken, queryToken, secretCanary, apiKey]

    static let changedURL = "https://hook:\(password)@hooks.example.com/in/\(pathToken)?token=\(queryToken)&team=blue"
    static let spec = """
    version: 1
    configs:
      - whatsapp_config_id: \(supportConfig)
        webhooks:
          - url: https://hook:${PW}@hooks.example.com/in/${PTOK}?token=${QTOK}&team=blue
            secret_key: ${SECRET}
            events: [whatsapp.message.received, whatsapp.message.read]
          - url: https://new.example.com/${PTOK}/hook?key=${QTOK}
            secret_key: ${SECRET}
            events: [whatsapp.message.sent]
    """

    static let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
        seedHook(changedID, changedURL, events: ["whatsapp.message.received"]),
    ])])

    private func environment(_ env: [String: String]) -> [String: String] {
        env.merging(["PW": Self.password, "PTOK": Self.pathToken, "QTOK": Self.queryToken]) { $1 }
    }

    /// No canary in `text`, in any case (export derives upper-case variable names).
    private func expectNoSecret(_ texts: String..., sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        for text in texts {
            for canary in Self.canaries {
                #expect(!text.contains(canary), "'\(canary)' leaked", sourceLocation: sourceLocation)
                #expect(!text.uppercased().contains(SpecExporter.slug(canary)), "'\(canary)' leaked as a name", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func everyPlanFormatAndThePlanFileShowTheTemplate() async throws {
        try await withScenario(seed: Self.seed, spec: Self.spec) { simulator, dir, env in
            let env = environment(env)
            var outputs: [String] = []
            for format in ["text", "json", "markdown"] {
                let result = try await runKapsoctl(["plan", "--format", format, "--verbose"], environment: env, directory: dir)
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("https://hook:${PW}@hooks.example.com/in/${PTOK}?token=${QTOK}&team=blue"), "\(result.stdout)")
                #expect(result.stdout.contains("https://new.example.com/${PTOK}/hook?key=${QTOK}"))
                outputs += [result.stdout, result.stderr]
            }
            let saved = try await runKapsoctl(["plan", "--out", "plan.json"], environment: env, directory: dir)
            #expect(saved.status == 0, "\(saved.stderr)")
            let file = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
            #expect(file.contains("\"template\": \"https://new.example.com/${PTOK}/hook?key=${QTOK}\""))
            let applied = try await runKapsoctl(["apply", "plan.json", "--verbose"], environment: env, directory: dir)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            #expect(applied.stdout.contains("+ https://new.example.com/${PTOK}/hook?key=${QTOK}"))
            expectNoSecret(outputs.joined(), saved.stdout, saved.stderr, file, applied.stdout, applied.stderr)
            // The real URL went to the server (and only there).
            let post = await simulator.writes().first { $0.method == "POST" }
            #expect(post?.body.contains("https://new.example.com/\(Self.pathToken)/hook?key=\(Self.queryToken)") == true)
            let again = try await runKapsoctl(["plan", "--detailed-exitcode"], environment: env, directory: dir)
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        }
    }

    @Test func errorsAndTheApplyReportNeverShowThem() async throws {
        // Two server webhooks with the declared URL: the plan fails naming them, by template.
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: [
            seedHook(changedID, Self.changedURL), seedHook(unchangedID, Self.changedURL),
        ])])
        try await withScenario(seed: seed, spec: Self.spec) { _, dir, env in
            let result = try await runKapsoctl(["plan"], environment: environment(env), directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("2 webhooks on the server have the url https://hook:${PW}@hooks.example.com/in/${PTOK}?token=${QTOK}&team=blue"),
                    "\(result.stderr)")
            expectNoSecret(result.stdout, result.stderr)
        }
        // A write that fails: the report names the webhook by template.
        var faults = FaultPlan()
        faults.dropBeforeWriteFirst = 1_000
        try await withScenario(seed: Self.seed, spec: Self.spec, faults: faults) { _, dir, env in
            let result = try await runKapsoctl(["apply", "--auto-approve", "--retry-budget", "0"], environment: environment(env), directory: dir)
            #expect(result.status == 1)
            #expect(result.stdout.contains("FAILED         update https://hook:${PW}@hooks.example.com/in/${PTOK}?token=${QTOK}&team=blue"), "\(result.stdout)")
            expectNoSecret(result.stdout, result.stderr)
        }
    }

    @Test func exportWritesURLCredentialsAsPlaceholders() async throws {
        try await withScenario(seed: Self.seed, spec: Self.spec) { simulator, dir, env in
            let export = try await runKapsoctl(["export", "-o", "exported.yaml"], environment: env, directory: dir)
            #expect(export.status == 0, "\(export.stderr)")
            let yaml = try String(contentsOf: dir.appendingPathComponent("exported.yaml"), encoding: .utf8)
            // The password and the query token are placeholders; the path cannot be known as a
            // secret and stays (as it is on the server).
            #expect(yaml.contains("- url: \"https://hook:${KAPSO_4A5B6C7D_URL_PASSWORD}@"), "\(yaml)")
            #expect(yaml.contains("?token=${KAPSO_4A5B6C7D_URL_TOKEN}"), "\(yaml)")
            #expect(yaml.contains("&team=blue\""))
            let withoutPath = yaml.replacingOccurrences(of: Self.pathToken, with: "").replacingOccurrences(of: SpecExporter.slug(Self.pathToken), with: "")
            for canary in [Self.password, Self.queryToken, secretCanary] {
                #expect(!withoutPath.contains(canary) && !withoutPath.uppercased().contains(SpecExporter.slug(canary)), "\(canary) in the export")
                #expect(!export.stderr.contains(canary) && !export.stderr.uppercased().contains(SpecExporter.slug(canary)))
            }
            // With each variable set to the server's value, the export plans to no changes.
            var planEnv = env
            for line in yaml.split(separator: "\n") where line.hasPrefix("#   KAPSO_") {
                let name = String(line.dropFirst(4).prefix { $0 != " " })
                planEnv[name] = name.hasSuffix("_PASSWORD") ? Self.password : name.hasSuffix("_TOKEN") ? Self.queryToken : secretCanary
            }
            let plan = try await runKapsoctl(["plan", "-f", "exported.yaml", "--detailed-exitcode"], environment: planEnv, directory: dir)
            #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
            #expect(await simulator.writes().isEmpty)
        }
    }
}
