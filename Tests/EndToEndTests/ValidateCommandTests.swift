import Foundation
import Testing

@Suite struct ValidateCommandTests {
    let acme = ["ACME_WEBHOOK_SECRET": "s", "ACME_HOOK_TOKEN": "t", "ACME_SALES_SECRET": "u"]
    let exampleEnvironment = ["EXAMPLE_WEBHOOK_SECRET": "x", "EXAMPLE_API_KEY": "y"]

    @Test func binaryIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: kapsoctlBinary.path), "\(kapsoctlBinary.path)")
    }

    @Test func defaultFileIsWebhooksYAMLInTheWorkingDirectory() async throws {
        let result = try await runKapsoctl(["validate"], environment: acme, directory: packageRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "webhooks.yaml: valid (2 configs, 3 webhooks)\n")
        #expect(result.stderr.isEmpty)
    }

    /// A directory is all its specs. `examples/` holds both generations (platform.yaml is the
    /// Platform API's), so its legacy files are validated as a directory of their own.
    @Test func examplesDirectoryIsValid() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["anchors.yaml", "minimal.yaml", "pinned-and-pruned.yaml"] {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("examples/\(name)"), to: dir.appendingPathComponent(name))
        }
        let result = try await runKapsoctl(["validate", "-f", dir.path], environment: exampleEnvironment, directory: packageRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(dir.path): valid (3 configs, 4 webhooks)\n")
        // Both generations in one run are refused, saying so.
        let mixed = try await runKapsoctl(["validate", "-f", "examples"], environment: exampleEnvironment.merging(
            ["ACME_WEBHOOK_SECRET": "w", "ACME_META_SECRET": "m", "ACME_PROJECT_SECRET": "p"]) { $1 }, directory: packageRoot)
        #expect(mixed.status == 1)
        #expect(mixed.stderr.contains("examples/platform.yaml:5:6: error: this file is for 'api: platform' but examples/anchors.yaml is for 'api: legacy'"), "\(mixed.stderr)")
    }

    @Test func severalFilesAreMerged() async throws {
        let result = try await runKapsoctl(["validate", "-f", "webhooks.yaml", "--file", "examples/minimal.yaml"],
                                     environment: acme.merging(exampleEnvironment) { $1 }, directory: packageRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "webhooks.yaml, examples/minimal.yaml: valid (3 configs, 4 webhooks)\n")
    }

    /// validate runs where secrets are not available (pull requests from forks): an unset
    /// variable is a note, once per name, at its first use; --require-env makes it an error, as
    /// it always is for plan.
    @Test func unsetVariableIsANoteUnlessRequired() async throws {
        let result = try await runKapsoctl(["validate"], environment: [:], directory: packageRoot)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "webhooks.yaml: valid (2 configs, 3 webhooks)\n")
        #expect(result.stderr.contains("webhooks.yaml:17:15: note: environment variable ACME_WEBHOOK_SECRET is not set; plan and apply will need it\n"), "\(result.stderr)")
        #expect(result.stderr.contains("webhooks.yaml:31:34: note: environment variable ACME_HOOK_TOKEN is not set; plan and apply will need it\n"))
        #expect(result.stderr.components(separatedBy: "note:").count - 1 == 3, "\(result.stderr)")

        let required = try await runKapsoctl(["validate", "--require-env"], environment: [:], directory: packageRoot)
        #expect(required.status == 1)
        #expect(required.stdout.isEmpty)
        #expect(required.stderr.contains("webhooks.yaml:17:15: error: environment variable ACME_WEBHOOK_SECRET is not set"))
        #expect(required.stderr.contains("webhooks.yaml:31:34: error: environment variable ACME_HOOK_TOKEN is not set"))
        #expect(required.stderr.hasSuffix("errors found.\n"))

        let plan = try await runKapsoctl(["plan"], environment: ["KAPSO_API_KEY": "k", "KAPSO_API_URL": "http://127.0.0.1:9"], directory: packageRoot)
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("webhooks.yaml:17:15: error: environment variable ACME_WEBHOOK_SECRET is not set"), "\(plan.stderr)")
    }

    /// Content checks that need a variable's value wait for it; the others still run.
    @Test func unsetVariablesSkipOnlyTheChecksThatNeedThem() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        version: 1
        configs:
          - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d
            webhooks:
              - url: ${HOOK_URL}
                events: [whatsapp.message.received]
              - url: https://${HOST}/b
                events: [whatsapp.message.received]
              - url: ${HOOK_URL}
                events: [whatsapp.message.sent]
                active: maybe
        """.write(to: dir.appendingPathComponent("w.yaml"), atomically: true, encoding: .utf8)
        let result = try await runKapsoctl(["validate", "-f", "w.yaml"], environment: [:], directory: dir)
        #expect(result.status == 1)
        // Two uses of one variable are one URL: the duplicate is still found.
        #expect(result.stderr.contains("w.yaml:5:9: error: two webhooks of config 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d have the same url ${HOOK_URL}"), "\(result.stderr)")
        #expect(result.stderr.contains("w.yaml:11:17: error: 'active' must be true or false"))
        #expect(!result.stderr.contains("'url'"), "an unknown URL was judged: \(result.stderr)")
    }

    /// `--format github`: errors and notes as workflow commands on stdout, at their file, line and
    /// column, with the message escaped so that no text can end the command or start another.
    @Test func githubFormatAnnotates() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        version: 1
        configs:
          - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d
            webhooks:
              - url: https://a.example.com/x
                secret_key: ${SECRET}
                events: [whatsapp.message.received]
              - url: https://b.example.com/x
                secret_key: ${SECRET}
                events: [whatsapp.message.received]
        """.write(to: dir.appendingPathComponent("ok, really.yaml"), atomically: true, encoding: .utf8)
        let notes = try await runKapsoctl(["validate", "-f", "ok, really.yaml", "--format", "github"], environment: [:], directory: dir)
        #expect(notes.status == 0)
        #expect(notes.stdout == """
        ::notice file=ok%2C really.yaml,line=6,col=21,title=kapsoctl::environment variable SECRET is not set; plan and apply will need it (used 1 more time)
        ok, really.yaml: valid (1 config, 2 webhooks)

        """)
        try """
        version: 1
        configs:
          - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d
            webhooks:
              - url: ftp://a.example.com/x
                events: [whatsapp.message.recieved]
                headers: {"X 100%": "a"}
        """.write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let errors = try await runKapsoctl(["validate", "-f", "bad.yaml", "--format", "github"], environment: [:], directory: dir)
        #expect(errors.status == 1)
        let lines = errors.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(errors.stdout)")
        #expect(lines.allSatisfy { $0.hasPrefix("::error file=bad.yaml,line=") }, "\(errors.stdout)")
        #expect(lines.contains("::error file=bad.yaml,line=5,col=14,title=kapsoctl::'url' must use https, not 'ftp'"))
        #expect(lines.contains { $0.hasPrefix("::error file=bad.yaml,line=6,col=18,title=kapsoctl::unknown event 'whatsapp.message.recieved'") }, "\(lines)")
        #expect(lines.contains { $0.contains("'X 100%25'") }, "\(lines)")
        // The human report is still on stderr, for the log.
        #expect(errors.stderr.hasSuffix("3 errors found.\n"))
    }

    @Test func invalidFileExitsOneWithEveryError() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("bad.yaml")
        try """
        version: 1
        configs:
          - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d
            webhooks:
              - url: https://a.example.com
                secret_key: CANARY-e2e-9090
                active: no
                inactivity_minutes: 0
        """.write(to: spec, atomically: true, encoding: .utf8)
        let result = try await runKapsoctl(["validate", "-f", spec.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(spec.path):7:17: error: 'active' must be true or false; 'no' is not accepted as a boolean"))
        #expect(result.stderr.contains("\(spec.path):8:29: error: 'inactivity_minutes' must be an integer from 1 to 1440; 0 is out of range"))
        #expect(result.stderr.contains("2 errors found."))
        #expect(!(result.stdout + result.stderr).contains("CANARY-e2e-9090"))
    }

    /// Hostile inputs end with exit 1 and a message, never a crash.
    @Test(arguments: [
        ("deep", "version: 1\nconfigs: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n",
         "nesting is deeper than 64 levels"),
        ("laughs", (0...9).map { level in
            level == 0 ? "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"
                : "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]"
        }.joined(separator: "\n") + "\n", "aliases expand to more than"),
        ("binary", String(decoding: [0x76, 0x3A, 0x20, 0xFE, 0xFF, 0x00, 0x01], as: UTF8.self), "error:"),
        ("two documents", "version: 1\n---\nversion: 1\n", "a second YAML document starts here"),
    ])
    func hostileInputFailsCleanly(_ name: String, _ text: String, _ message: String) async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = dir.appendingPathComponent("\(name).yaml")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        let result = try await runKapsoctl(["validate", "-f", spec.path])
        #expect(result.exited)
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr.prefix(500))")
    }

    @Test func missingFileAndDevice() async throws {
        let result = try await runKapsoctl(["validate", "-f", "/nonexistent/webhooks.yaml", "-f", "/dev/zero"])
        #expect(result.status == 1)
        #expect(result.stderr == """
        /nonexistent/webhooks.yaml: error: no such file or directory
        /dev/zero: error: not a regular file
        2 errors found.

        """)
    }

    @Test func helpAndUsageErrors() async throws {
        let help = try await runKapsoctl(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("validate"))
        let validateHelp = try await runKapsoctl(["validate", "--help"])
        #expect(validateHelp.status == 0)
        #expect(validateHelp.stdout.contains("--file"))
        let bad = try await runKapsoctl(["validate", "--bogus"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("Unknown option '--bogus'"))
        let unknown = try await runKapsoctl(["frobnicate"])
        #expect(unknown.status == 1)
    }
}
