import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Staging and production from one repository: one spec whose config id and receiver host are
/// plain variables (`--var-file envs/NAME.vars`), not secrets, so a reviewer sees which project a
/// plan is for. The secret stays in the environment.
@Suite struct EnvironmentsTests {
    private let spec = """
    version: 1
    configs:
      - whatsapp_config_id: ${WHATSAPP_CONFIG}
        name: ${TEAM} line
        webhooks:
          - url: https://${RECEIVER_HOST}/hooks/whatsapp?token=${TOKEN}
            secret_key: ${SECRET}
            events: [whatsapp.message.received]

    """

    @Test func twoEnvironmentsFromOneSpec() async throws {
        let seed = SimulatorSeed(configs: [SimulatorSeed.Config(id: supportConfig, webhooks: []), SimulatorSeed.Config(id: bulkConfig, webhooks: [])])
        try await withScenario(seed: seed, spec: spec) { simulator, dir, env in
            let envs = dir.appendingPathComponent("envs")
            try FileManager.default.createDirectory(at: envs, withIntermediateDirectories: true)
            try "# staging\nWHATSAPP_CONFIG=\(supportConfig)\nRECEIVER_HOST=staging.acme.example\nTEAM=staging\n"
                .write(to: envs.appendingPathComponent("staging.vars"), atomically: true, encoding: .utf8)
            try "WHATSAPP_CONFIG=\(bulkConfig)\nRECEIVER_HOST=hooks.acme.example\nTEAM=production\n"
                .write(to: envs.appendingPathComponent("production.vars"), atomically: true, encoding: .utf8)
            for (name, config, host) in [("staging", supportConfig, "staging.acme.example"), ("production", bulkConfig, "hooks.acme.example")] {
                let plan = try await runKapsoctl(["plan", "--var-file", "envs/\(name).vars"], environment: env, directory: dir)
                #expect(plan.status == 0, "\(plan.stderr)")
                // Shown, not "(sensitive)": the config, its name, the host; the token stays a ${VAR}.
                #expect(plan.stdout.hasPrefix("Config \(config) (\(name) line)\n  + https://\(host)/hooks/whatsapp?token=${TOKEN}\n"), "\(plan.stdout)")
                expectNoCanary(plan.stdout, plan.stderr)
                let markdown = try await runKapsoctl(["plan", "--var-file", "envs/\(name).vars", "--format", "markdown"], environment: env, directory: dir)
                #expect(markdown.stdout.contains(config) && markdown.stdout.contains(host), "\(markdown.stdout)")
            }
            // Saved with the variables, applied without them: the plan holds their values (they are
            // not secret) and resolves only the secrets again, from the environment.
            let saved = try await runKapsoctl(["plan", "--var-file", "envs/production.vars", "--out", "plan.json"], environment: env, directory: dir)
            #expect(saved.status == 0, "\(saved.stderr)")
            let file = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
            #expect(file.contains("https://hooks.acme.example/hooks/whatsapp?token=${TOKEN}"), "\(file)")
            expectNoCanary(file)
            let applied = try await runKapsoctl(["apply", "plan.json"], environment: env, directory: dir)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            let stored = await simulator.store.journal().filter(\.isWrite)
            #expect(stored.count == 1 && stored[0].path.contains(bulkConfig), "\(stored.map(\.path))")
            #expect(stored.first?.body.contains("https://hooks.acme.example/hooks/whatsapp?token=\(tokenCanary)") == true)

            // --var wins over the files and over the environment.
            var shadowed = env
            shadowed["RECEIVER_HOST"] = "env.acme.example"
            let overridden = try await runKapsoctl(["plan", "--var-file", "envs/staging.vars", "--var", "RECEIVER_HOST=cli.acme.example"], environment: shadowed, directory: dir)
            #expect(overridden.stdout.contains("+ https://cli.acme.example/hooks/"), "\(overridden.stdout)")
        }
    }

    /// A plain variable is not a secret: in a secret's place it is a literal secret (which `plan
    /// --out` refuses to save); its name cannot be a reserved one; a bad `--var` or vars file line is
    /// said in words, at file:line:column.
    @Test func plainVariablesAreNotSecrets() async throws {
        try await withScenario(spec: spec) { _, dir, env in
            let literal = try await runKapsoctl(["plan", "--var", "SECRET=shown-value", "--var", "WHATSAPP_CONFIG=\(supportConfig)", "--var", "RECEIVER_HOST=a.example",
                                                 "--var", "TEAM=x", "--out", "plan.json"], environment: env, directory: dir)
            #expect(literal.status == 1)
            #expect(literal.stderr.contains("secret_key of https://a.example/hooks/whatsapp?token=${TOKEN} is written literally in the spec"), "\(literal.stderr)")
            for (arguments, words) in [
                (["--var", "NOEQUALS"], "--var 'NOEQUALS' is not NAME=VALUE"),
                (["--var", "9X=1"], "--var '9X=1' is not NAME=VALUE"),
                (["--var", "KAPSO_API_KEY=x"], "--var: KAPSO_API_KEY is the API key; a plain variable cannot take its name"),
                (["--var", "GITHUB_TOKEN=x"], "GITHUB_TOKEN is the CI's; a plain variable cannot take its name"),
            ] {
                let refused = try await runKapsoctl(["validate"] + arguments, environment: env, directory: dir)
                #expect(refused.status == 1)
                #expect(refused.stderr.contains(words), "\(refused.stderr)")
            }
            try "WHATSAPP_CONFIG=\(supportConfig)\nPATH=/tmp\n".write(to: dir.appendingPathComponent("bad.vars"), atomically: true, encoding: .utf8)
            let badFile = try await runKapsoctl(["validate", "--var-file", "bad.vars"], environment: env, directory: dir)
            #expect(badFile.status == 1)
            #expect(badFile.stderr.contains("bad.vars:2:1: error: PATH is the shell's or the system's; a plain variable cannot take its name"), "\(badFile.stderr)")
        }
    }
}
