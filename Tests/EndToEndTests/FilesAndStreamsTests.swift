import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// Spec files as users keep them, and output files and streams as they point them.
@Suite struct SpecFileTests {
    private let spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks: []\n"

    @Test func aSymlinkedSpecIsFollowed() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("..data"), withIntermediateDirectories: true)
        try spec.write(to: dir.appendingPathComponent("..data/webhooks.yaml"), atomically: true, encoding: .utf8)
        // As a Kubernetes ConfigMap mount lays it out: a link to a link to the file.
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("data").path, withDestinationPath: "..data")
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("webhooks.yaml").path, withDestinationPath: "data/webhooks.yaml")
        let result = try await runKapsoctl(["validate"], directory: dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "webhooks.yaml: valid (1 config, 0 webhooks)\n")
        let dangling = dir.appendingPathComponent("gone.yaml")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "nowhere.yaml")
        let broken = try await runKapsoctl(["validate", "-f", "gone.yaml"], directory: dir)
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("gone.yaml: error: "))
    }

    @Test func aByteOrderMarkIsAccepted() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try (Data([0xEF, 0xBB, 0xBF]) + Data(spec.utf8)).write(to: dir.appendingPathComponent("webhooks.yaml"))
        let result = try await runKapsoctl(["validate"], directory: dir)
        #expect(result.status == 0, "\(result.stderr)")
        // Positions still count from the first real character.
        try (Data([0xEF, 0xBB, 0xBF]) + Data("version: 2\nconfigs: []\n".utf8)).write(to: dir.appendingPathComponent("v2.yaml"))
        let bad = try await runKapsoctl(["validate", "-f", "v2.yaml"], directory: dir)
        #expect(bad.stderr.hasPrefix("v2.yaml:1:10: error: 'version' must be 1"), "\(bad.stderr)")
    }

    @Test func aTabInIndentationIsNamed() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "version: 1\nconfigs:\n\t- whatsapp_config_id: \(supportConfig)\n".write(to: dir.appendingPathComponent("webhooks.yaml"), atomically: true, encoding: .utf8)
        let result = try await runKapsoctl(["validate"], directory: dir)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("webhooks.yaml:3:1: error: a tab in the indentation: YAML indents with spaces only; replace the tab at column 1 with spaces"),
                "\(result.stderr)")
    }

    /// `-f -` reads the spec from standard input (beside files, too); its errors are at
    /// `<stdin>:line:column`; it can be given once; a plan of it is the plan of the same file.
    @Test func aSpecFromStandardInput() async throws {
        let valid = try await runKapsoctl(["validate", "-f", "-"], input: Data(spec.utf8))
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout == "<stdin>: valid (1 config, 0 webhooks)\n")
        let broken = try await runKapsoctl(["validate", "-f", "-"], input: Data("version: 1\nconfigs:\n  - whatsapp_config_id: nope\n".utf8))
        #expect(broken.status == 1)
        #expect(broken.stderr.hasPrefix("<stdin>:3:5: error: missing required key 'webhooks'"), "\(broken.stderr)")
        let empty = try await runKapsoctl(["validate", "-f", "-"])
        #expect(empty.status == 1)
        #expect(empty.stderr.hasPrefix("<stdin>"), "\(empty.stderr)")
        let twice = try await runKapsoctl(["validate", "-f", "-", "-f", "-"], input: Data(spec.utf8))
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("-f - reads standard input, which can be read once; give it once"), "\(twice.stderr)")
        try await withScenario { _, dir, env in
            let fromFile = try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir)
            let text = try Data(contentsOf: dir.appendingPathComponent("webhooks.yaml"))
            let fromStdin = try await runKapsoctl(["plan", "--format", "json", "-f", "-"], environment: env, directory: dir, input: text)
            #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
            #expect(fromStdin.stdout.replacingOccurrences(of: "<stdin>", with: "webhooks.yaml") == fromFile.stdout)
        }
    }

    /// `--env-file`: the spec's secrets from a dotenv file, as plan, apply (and apply PLAN.json),
    /// validate and verify read them; the environment wins over the file; an unfilled line of
    /// the template is unset; the file's values are masked like any secret; a bad line is
    /// named at file:line:column without its value; the API URL cannot come from the file.
    @Test func secretsFromAnEnvFile() async throws {
        try await withScenario { simulator, dir, env in
            var bare = env
            bare["SECRET"] = nil
            bare["TOKEN"] = nil
            // The scenario's values, written as people write them.
            try "# the team's secrets\nexport SECRET='\(secretCanary)'\nTOKEN=\"\(tokenCanary)\"  # for Authorization\nUNUSED=\n"
                .write(to: dir.appendingPathComponent("kapso.env"), atomically: true, encoding: .utf8)
            let fromFile = try await runKapsoctl(["plan", "--env-file", "kapso.env", "--format", "json"], environment: bare, directory: dir)
            let fromEnvironment = try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir)
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            #expect(fromFile.stdout == fromEnvironment.stdout)
            expectNoCanary(fromFile.stdout, fromFile.stderr)
            // An unfilled line of a later file (the template's `TOKEN=`) sets nothing over an earlier one.
            try "TOKEN=\n".write(to: dir.appendingPathComponent("template.env"), atomically: true, encoding: .utf8)
            let layered = try await runKapsoctl(["plan", "--env-file", "kapso.env", "--env-file", "template.env", "--format", "json"],
                                                environment: bare, directory: dir)
            #expect(layered.status == 0 && layered.stdout == fromFile.stdout, "\(layered.stderr)")
            // The environment wins: another TOKEN there is what the plan compares.
            var overriding = bare
            overriding["TOKEN"] = "old-token"
            let overridden = try await runKapsoctl(["plan", "--env-file", "kapso.env", "--format", "json"], environment: overriding, directory: dir)
            #expect(overridden.stdout != fromFile.stdout, "the environment's TOKEN was not used")
            // Saved and applied with the file; validate reads it too (no note for a set variable).
            let saved = try await runKapsoctl(["plan", "--env-file", "kapso.env", "--out", "plan.json"], environment: bare, directory: dir)
            #expect(saved.status == 0, "\(saved.stderr)")
            let applied = try await runKapsoctl(["apply", "plan.json", "--env-file", "kapso.env"], environment: bare, directory: dir)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            expectNoCanary(applied.stdout, applied.stderr)
            #expect(await simulator.writes().count == 4)
            let validated = try await runKapsoctl(["validate", "--env-file", "kapso.env", "--require-env"], environment: [:], directory: dir)
            #expect(validated.status == 0, "\(validated.stderr)")

            // A value from the file is a secret wherever it shows: here in a URL.
            try "version: 1\nconfigs:\n  - whatsapp_config_id: \(supportConfig)\n    webhooks:\n      - {url: \"https://hooks.example.com/${PATH_PART}\", secret_key: x, events: [whatsapp.message.sent]}\n"
                .write(to: dir.appendingPathComponent("url.yaml"), atomically: true, encoding: .utf8)
            try "PATH_PART=CANARY-path-from-file\n".write(to: dir.appendingPathComponent("path.env"), atomically: true, encoding: .utf8)
            let masked = try await runKapsoctl(["plan", "-f", "url.yaml", "--env-file", "path.env"], environment: bare, directory: dir)
            #expect(masked.status == 0, "\(masked.stderr)")
            #expect(!masked.stdout.contains("CANARY-path-from-file") && masked.stdout.contains("${PATH_PART}"), "\(masked.stdout)")

            // Problems: at file:line:column, without the value; the API URL is refused; nothing read.
            let requests = await simulator.store.journal().count
            try "SECRET=ok\nTOKEN \(tokenCanary)\nKAPSO_API_URL=https://evil.example.com/api/v1\n".write(to: dir.appendingPathComponent("bad.env"), atomically: true, encoding: .utf8)
            let bad = try await runKapsoctl(["plan", "--env-file", "bad.env"], environment: bare, directory: dir)
            #expect(bad.status == 1)
            #expect(bad.stderr.contains("bad.env:2:1: error: a line of an env file is NAME=value; this one has no '='"), "\(bad.stderr)")
            #expect(bad.stderr.contains("bad.env:3:1: error: KAPSO_API_URL cannot come from an env file"), "\(bad.stderr)")
            expectNoCanary(bad.stdout, bad.stderr)
            #expect(await simulator.store.journal().count == requests)
            let missing = try await runKapsoctl(["plan", "--env-file", "nowhere.env"], environment: bare, directory: dir)
            #expect(missing.status == 1)
            #expect(missing.stderr.hasPrefix("nowhere.env: error: cannot read the file"), "\(missing.stderr)")
        }
    }

    @Test func aMissingDefaultSpecSaysHowToGoOn() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for command in [["validate"], ["plan"]] {
            let result = try await runKapsoctl(command, environment: ["KAPSO_API_KEY": apiKey, "KAPSO_API_URL": "http://127.0.0.1:9/api/v1"], directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("webhooks.yaml: error: no such file or directory"))
            #expect(result.stderr.contains("unless -f names a spec file or directory; to start one from the server: kapsoctl export -o webhooks.yaml"))
        }
        // A file named with -f gets no hint about the default.
        let named = try await runKapsoctl(["validate", "-f", "other.yaml"], directory: dir)
        #expect(!named.stderr.contains("hint:"))
    }

    @Test func anAPIKeyWithATrailingNewlineIsTrimmed() async throws {
        try await withScenario(spec: spec) { simulator, dir, env in
            var stored = env
            stored["KAPSO_API_KEY"] = apiKey + "\n"
            let result = try await runKapsoctl(["plan"], environment: stored, directory: dir)
            #expect(result.status == 0, "\(result.stderr)")
            var broken = env
            broken["KAPSO_API_KEY"] = "first-line\nsecond-line"
            let refused = try await runKapsoctl(["plan"], environment: broken, directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("KAPSO_API_KEY contains a space, line break or control character inside the key"))
            #expect(!refused.stderr.contains("second-line"))
            var blank = env
            blank["KAPSO_API_KEY"] = " \n"
            let missing = try await runKapsoctl(["plan"], environment: blank, directory: dir)
            #expect(missing.stderr.contains("KAPSO_API_KEY is not set (or only whitespace)"))
            #expect(await simulator.store.journal().count == 1, "only the trimmed key's run reached the server")
        }
    }
}

@Suite struct OutputStreamTests {
    @Test func aFullDiskOnStdoutIsAnError() async throws {
        try await withScenario { _, dir, env in
            for command in [["plan", "--format", "json"], ["plan"], ["export"], ["validate"]] {
                let full = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
                let result = try await runKapsoctl(command, environment: env, directory: dir, standardOutput: full)
                try full.close()
                #expect(result.status == 1, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("error: cannot write to standard output: No space left on device"), "\(command): \(result.stderr)")
            }
        }
    }

    @Test func aClosedPipeOnStdoutIsAnError() async throws {
        try await withScenario { _, dir, env in
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()
            let result = try await runKapsoctl(["plan", "--format", "json"], environment: env, directory: dir,
                                               standardOutput: pipe.fileHandleForWriting)
            #expect(result.exited, "killed by SIGPIPE instead of reporting it")
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: cannot write to standard output: Broken pipe"), "\(result.stderr)")
        }
    }

    @Test func outFilesAreWrittenThroughLinksAndIntoDevicesAndFIFOs() async throws {
        try await withScenario { _, dir, env in
            // Through a symlink: the target is replaced, the link stays a link.
            try "old".write(to: dir.appendingPathComponent("real.json"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.json").path, withDestinationPath: "real.json")
            let linked = try await runKapsoctl(["plan", "--out", "link.json"], environment: env, directory: dir)
            #expect(linked.status == 0, "\(linked.stderr)")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("link.json").path) == "real.json")
            #expect(try String(contentsOf: dir.appendingPathComponent("real.json"), encoding: .utf8).contains("\"kind\": \"kapsoctl-plan\""))

            // A device is written, never replaced: /dev/full stays a device, and the write fails.
            let full = try await runKapsoctl(["plan", "--out", "/dev/full"], environment: env, directory: dir)
            #expect(full.status == 1)
            #expect(full.stderr.contains("error: cannot write /dev/full: No space left on device"), "\(full.stderr)")
            var info = stat()
            #expect(stat("/dev/full", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
            let exportFull = try await runKapsoctl(["export", "-o", "/dev/full"], environment: env, directory: dir)
            #expect(exportFull.status == 1)
            #expect(exportFull.stderr.contains("error: cannot write /dev/full: No space left on device"))

            // A FIFO is written into, and stays a FIFO.
            let fifo = dir.appendingPathComponent("plan.fifo").path
            #expect(mkfifo(fifo, 0o600) == 0)
            let reader = Task.detached { () -> String in
                let handle = FileHandle(forReadingAtPath: fifo)!
                defer { try? handle.close() }
                return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
            }
            let piped = try await runKapsoctl(["export", "-o", fifo], environment: env, directory: dir)
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(await reader.value.hasPrefix("# Exported by kapsoctl"))
            #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        }
    }

    @Test func outNeverReplacesAnInputSpec() async throws {
        try await withScenario { _, dir, env in
            let before = try Data(contentsOf: dir.appendingPathComponent("webhooks.yaml"))
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("alias.json").path, withDestinationPath: "webhooks.yaml")
            for out in ["webhooks.yaml", "./webhooks.yaml", "alias.json"] {
                let result = try await runKapsoctl(["plan", "--out", out], environment: env, directory: dir)
                #expect(result.status == 1)
                #expect(result.stderr.contains("error: \(out) is the input spec file webhooks.yaml; choose another output file"), "\(result.stderr)")
            }
            #expect(try Data(contentsOf: dir.appendingPathComponent("webhooks.yaml")) == before)
        }
    }

    @Test func aFailedWriteLeavesTheOldFileWhole() async throws {
        try await withScenario { _, dir, env in
            // A directory the process cannot write into (as root every write succeeds, so a file
            // system that refuses is simulated by a path whose directory does not exist).
            let result = try await runKapsoctl(["plan", "--out", "missing/plan.json"], environment: env, directory: dir)
            #expect(result.status == 1)
            #expect(result.stderr.contains("error: cannot create a file next to missing/plan.json: No such file or directory"), "\(result.stderr)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("kapsoctl-") }
            #expect(leftovers.isEmpty)
        }
    }
}
