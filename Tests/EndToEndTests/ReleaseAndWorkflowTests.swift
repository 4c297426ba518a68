import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// The machine's architecture as `uname -m` names it (the archive's name uses it).
func machine() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

/// The release archive `scripts/release` built (scripts/test runs it before the tests).
func releaseArchive() -> URL {
    packageRoot.appendingPathComponent("dist/kapsoctl-\(KapsoctlVersion.current)-linux-\(machine()).tar.gz")
}

@Suite struct ReleaseArchiveTests {
    /// The archive installs and runs where there is no Swift: no Swift library among its dynamic
    /// dependencies (libyaml linked in too), and with an empty environment (`env -i`: no PATH, no
    /// library path) it validates, and plans against the simulator, sending its real version.
    @Test func archiveRunsWithoutSwift() async throws {
        guard let (archive, dir) = try await unpackedRelease() else { return }
        defer { try? FileManager.default.removeItem(at: dir) }
        let sums = try await runTool(URL(fileURLWithPath: "/usr/bin/sha256sum"), ["-c", archive.lastPathComponent + ".sha256"],
                                     directory: archive.deletingLastPathComponent())
        #expect(sums.status == 0, "\(sums.output)")
        let root = dir.appendingPathComponent("kapsoctl-\(KapsoctlVersion.current)-linux-\(machine())")
        for file in ["kapsoctl", "LICENSE", "THIRD_PARTY_NOTICES", "README.md", "CHANGELOG.md", "man/kapsoctl.1",
                     "examples/minimal.yaml", "examples/seed.json", "examples/github-actions/plan.yml", "docs/spec.md",
                     "docs/attributes.md", "schemas/plan.v2.schema.json", "kapsoctl.schema.json",
                     "completions/kapsoctl.bash", "completions/_kapsoctl", "completions/kapsoctl.fish"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file) missing")
        }
        // Every library linked in has its licence there, the static libcurl's too.
        let notices = try String(contentsOf: root.appendingPathComponent("THIRD_PARTY_NOTICES"), encoding: .utf8)
        for name in ["Swift runtime", "swift-argument-parser", "FlyingFox", "libyaml", "curl 7.88.1", "libstdc++"] {
            #expect(notices.contains("==== \(name)"), "\(name) has no notice")
        }
        #expect(notices.contains("COPYRIGHT AND PERMISSION NOTICE"), "curl's COPYING is not in the notices")
        let binary = root.appendingPathComponent("kapsoctl")
        // The archive carries what its README links (the examples, the docs, the schemas).
        #expect(try brokenLinks(in: root.appendingPathComponent("README.md"), root: root) == [])
        // The man page says what the environment and the exit codes are (not generate-manual's
        // generic "0 on success, >0 on error"); the completions complete file names for -f
        // (specs), --out, --report and the plan files of apply and show (JSON).
        let man = try String(contentsOf: root.appendingPathComponent("man/kapsoctl.1"), encoding: .utf8)
        #expect(man.contains(".Sh ENVIRONMENT\n") && man.contains(".It Ev KAPSO_API_KEY") && man.contains(".It Ev KAPSOCTL_SPEC_VARS"))
        #expect(man.contains(".Sh \"EXIT STATUS\"\n") && man.contains("partial; some writes done") && !man.contains(".Ex -std"))
        let bash = try String(contentsOf: root.appendingPathComponent("completions/kapsoctl.bash"), encoding: .utf8)
        #expect(bash.contains("'-f'|'--file')\n        __kapsoctl_add_completions -o plusdirs -fX '!*.@(yaml|yml)'"), "\(bash.prefix(400))")
        for option in ["'--out'", "'--report'"] {
            #expect(bash.contains("\(option))\n        __kapsoctl_add_completions -o plusdirs -fX '!*.@(json)'"), "\(option)")
        }
        let zsh = try String(contentsOf: root.appendingPathComponent("completions/_kapsoctl"), encoding: .utf8)
        #expect(zsh.contains("':plan.json:_files -g "), "\(zsh.prefix(300))")

        let ldd = try await runTool(URL(fileURLWithPath: "/usr/bin/ldd"), [binary.path])
        #expect(ldd.status == 0, "\(ldd.output)")
        #expect(!ldd.output.lowercased().contains("swift"), "a Swift library is linked dynamically:\n\(ldd.output)")
        #expect(!ldd.output.contains("libFoundation") && !ldd.output.contains("libyaml") && !ldd.output.contains("not found"), "\(ldd.output)")
        // libcurl is linked statically (scripts/build-libcurl): none of the 28 libraries Debian's
        // libcurl loads at every start (nghttp2, gnutls through librtmp, Kerberos, LDAP...).
        #expect(!ldd.output.contains("libcurl") && !ldd.output.contains("libnghttp2") && !ldd.output.contains("libgnutls"), "\(ldd.output)")
        #expect(!ldd.output.contains("libstdc++"), "libstdc++ is linked dynamically:\n\(ldd.output)")
        let readelf = try await runTool(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", binary.path])
        let needed = Set(readelf.output.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        })
        let system: Set<String> = ["libssl.so.3", "libcrypto.so.3", "libm.so.6", "libgcc_s.so.1", "libc.so.6",
                                   "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"]
        #expect(!needed.isEmpty && needed.isSubset(of: system), "unexpected dynamic dependencies: \(needed.subtracting(system).sorted())")

        let env = URL(fileURLWithPath: "/usr/bin/env")
        let version = try await runTool(env, ["-i", binary.path, "--version"])
        #expect(version.output == "\(KapsoctlVersion.current)\n")

        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("examples/minimal.yaml"), to: dir.appendingPathComponent("webhooks.yaml"))
        let validate = try await runTool(env, ["-i", binary.path, "validate"], directory: dir)
        #expect(validate.status == 0, "\(validate.output)")
        #expect(validate.output.contains("webhooks.yaml: valid (1 config, 1 webhook)"), "\(validate.output)")

        try await withRunningSimulator(seed: SimulatorSeed(configs: [SimulatorSeed.Config(id: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f")]),
                                       apiKey: apiKey) { simulator, url in
            let plan = try await runTool(env, ["-i", "KAPSO_API_KEY=\(apiKey)", "EXAMPLE_WEBHOOK_SECRET=\(secretCanary)",
                                               binary.path, "plan", "--api-url", url.absoluteString], directory: dir)
            #expect(plan.status == 0, "\(plan.output)")
            #expect(plan.output.contains("Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged, 0 unmanaged."), "\(plan.output)")
            expectNoCanary(plan.output)
            let agents = Set(await simulator.store.journal().map(\.userAgent))
            #expect(agents == ["kapsoctl/\(KapsoctlVersion.current)"], "\(agents)")
        }
    }
}

/// The release archive of `dist/`, unpacked into a fresh directory (the caller removes it); nil,
/// with an issue recorded, when `scripts/release` has not built it.
private func unpackedRelease(sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> (archive: URL, directory: URL)? {
    let archive = releaseArchive()
    guard FileManager.default.fileExists(atPath: archive.path) else {
        Issue.record("no \(archive.lastPathComponent) in dist/: run `bash scripts/release` (scripts/test does)", sourceLocation: sourceLocation)
        return nil
    }
    let dir = try makeTemporaryDirectory()
    let untar = try await runTool(URL(fileURLWithPath: "/bin/tar"), ["-xzf", archive.path, "-C", dir.path])
    #expect(untar.status == 0, "\(untar.output)", sourceLocation: sourceLocation)
    return (archive, dir)
}

/// The released binary under load: a stress test (`swift test --skip Stress` leaves it out of the
/// quick loop; CI runs it).
@Suite struct ReleaseArchiveStressTests {
    /// Issue: the optimized binary crashed (SIGSEGV) when progress lines were built while
    /// requests reported 429s: a `Mutex` in a `static let` did not exclude in release builds
    /// (debug builds, which the other tests run, were not affected). The released binary, with
    /// progress ticking as fast as it can and 16 requests in flight under 429s.
    @Test func progressUnder429sInTheReleasedBinary() async throws {
        guard let (_, dir) = try await unpackedRelease() else { return }
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("kapsoctl-\(KapsoctlVersion.current)-linux-\(machine())/kapsoctl")
        let env = URL(fileURLWithPath: "/usr/bin/env")
        var faults = FaultPlan()
        faults.rateLimitFraction = 0.3
        faults.retryAfterSeconds = 0
        let config = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
        var many = "version: 1\nconfigs:\n  - whatsapp_config_id: \(config)\n    webhooks:\n"
        for i in 0..<300 {
            many += "      - {url: \"https://hooks.example.com/\(i)\", secret_key: s, events: [whatsapp.message.received]}\n"
        }
        try many.write(to: dir.appendingPathComponent("many.yaml"), atomically: true, encoding: .utf8)
        for _ in 0..<3 {
            try await withRunningSimulator(seed: SimulatorSeed(configs: [SimulatorSeed.Config(id: config)]), apiKey: apiKey, faults: faults) { _, url in
                let apply = try await runTool(env, ["-i", "KAPSO_API_KEY=\(apiKey)", "KAPSOCTL_PROGRESS_SECONDS=0.0005", binary.path, "apply",
                                                    "-f", "many.yaml", "--auto-approve", "--parallelism", "16", "--api-url", url.absoluteString],
                                            directory: dir)
                #expect(apply.status == 0, "\(apply.output.suffix(600))")
                #expect(apply.output.contains("Apply: 300 done, 0 failed, 0 not attempted."))
            }
        }
    }
}

@Suite struct WorkflowTests {
    private let workflows = ["plan.yml", "apply.yml", "drift.yml"].map {
        packageRoot.appendingPathComponent("examples/github-actions/\($0)")
    }
    /// The project's own CI and release workflows.
    private let projectWorkflows = ["ci.yml", "release.yml"].map {
        packageRoot.appendingPathComponent(".github/workflows/\($0)")
    }
    private let action = packageRoot.appendingPathComponent("action.yml")

    /// docs/ci.md's workflow for several environments (the YAML block after its marker), in a file.
    private func readmeWorkflow(in dir: URL) throws -> URL {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("docs/ci.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "<!-- environments-workflow -->\n```yaml\n").dropFirst().first?
            .components(separatedBy: "\n```").first)
        let file = dir.appendingPathComponent("readme-environments.yml")
        try (block + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The example workflows and the project's own pass GitHub's workflow schema, action.yml the
    /// action schema and .github/dependabot.yml Dependabot's (check-jsonschema's vendored copies).
    @Test func workflowsPassTheWorkflowSchema() async throws {
        guard let tool = checkJSONSchema(packageRoot: packageRoot) else {
            Issue.record(Comment(rawValue: missingCheckJSONSchema))
            return
        }
        // The check can fail: a job without `runs-on` is refused. One run for all (a start of the
        // validator is a third of a second): it names the broken file, and the workflows never.
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.yml")
        try "on: push\njobs:\n  x:\n    steps:\n      - run: kapsoctl plan\n".write(to: broken, atomically: true, encoding: .utf8)
        let fromReadme = try readmeWorkflow(in: dir)
        let result = try await tool.check(["--builtin-schema", "vendor.github-workflows", "--output-format", "text"]
                                       + (workflows + projectWorkflows + [fromReadme]).map(\.path) + [broken.path])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("\(broken.path)::"), "\(result.output)")
        for workflow in workflows + projectWorkflows + [fromReadme] {
            #expect(!result.output.contains("\(workflow.path)::"), "\(result.output)")
        }
        // An action without `runs` is refused: the action schema's check can fail too.
        let brokenAction = dir.appendingPathComponent("action.yml")
        try "name: x\ndescription: y\n".write(to: brokenAction, atomically: true, encoding: .utf8)
        let actions = try await tool.check(["--builtin-schema", "vendor.github-actions", "--output-format", "text", action.path, brokenAction.path])
        #expect(actions.status == 1, "\(actions.output)")
        #expect(actions.output.contains("\(brokenAction.path)::") && !actions.output.contains("\(action.path)::"), "\(actions.output)")
        let dependabot = try await tool.check(["--builtin-schema", "vendor.dependabot", packageRoot.appendingPathComponent(".github/dependabot.yml").path])
        #expect(dependabot.status == 0, "\(dependabot.output)")
    }

    /// Every kapsoctl command line in the workflows uses flags the binary has, and the version they
    /// install is this one: copying them never meets an "unknown option".
    @Test func workflowCommandsExist() async throws {
        var help: [String: String] = [:]
        var commands = 0, flags = 0
        for file in workflows {
            let text = try String(contentsOf: file, encoding: .utf8)
            // Installed by the setup action, the version in that one line.
            #expect(text.contains("- uses: kapsoctl/kapsoctl@v\(KapsoctlVersion.current)\n"), "\(file.lastPathComponent) installs another version")
            #expect(!text.contains("KAPSOCTL_VERSION") && !text.contains("releases/download"), "\(file.lastPathComponent) installs by hand")
            // A shell line that runs kapsoctl: `run: kapsoctl …` or a line of a `run: |` block that
            // starts with it (not the word inside a message or another tool's arguments), up to a
            // ` #` comment.
            for line in text.split(separator: "\n") {
                var shell = line.trimmingCharacters(in: .whitespaces)
                if shell.hasPrefix("run: ") { shell = String(shell.dropFirst(5)) }
                guard shell.hasPrefix("kapsoctl ") else { continue }
                if let comment = shell.range(of: " #") { shell = String(shell[..<comment.lowerBound]) }
                let words = shell.split(separator: " ").dropFirst().map(String.init)
                guard let command = words.first else { continue }
                #expect(["validate", "plan", "apply", "show", "status", "export", "verify", "schema"].contains(command),
                        "\(file.lastPathComponent): kapsoctl has no command \(command)")
                if help[command] == nil { help[command] = try await runKapsoctl([command, "--help"]).stdout }
                commands += 1
                for flag in words.dropFirst() where flag.hasPrefix("--") {
                    #expect(help[command]?.contains(flag) == true, "\(file.lastPathComponent): kapsoctl \(command) has no \(flag)")
                    flags += 1
                }
            }
        }
        #expect(commands >= 8 && flags >= 15, "only \(commands) commands and \(flags) flags found: the workflow parsing broke")
    }

    /// What a first real run would hit: in plan.yml the comment and the saved plan are posted
    /// whatever happens after the plan step starts (`always()`), the comment saying when the plan
    /// failed; apply.yml shows the report in words in the log (no `--format json` on stdout) and
    /// keeps the JSON report as an artifact even when a step failed; the reviewed plan is the one
    /// of the pull request's last commit, not the branch's last successful plan.
    @Test func workflowsPostWhatTheyHaveWhenALaterStepFails() throws {
        let plan = try String(contentsOf: workflows[0], encoding: .utf8)
        let apply = try String(contentsOf: workflows[1], encoding: .utf8)
        func step(_ text: String, named name: String) -> String {
            guard let start = text.range(of: "      - name: \(name)\n") else { return "" }
            let rest = text[start.upperBound...]
            let end = rest.range(of: "\n      - ")?.lowerBound ?? rest.endIndex
            return String(rest[..<end])
        }
        #expect(step(plan, named: "Post the plan as one sticky comment").contains("if: always() && steps.plan.outcome != 'skipped'"))
        #expect(step(plan, named: "Post the plan as one sticky comment").contains("**kapsoctl plan failed**"))
        #expect(step(plan, named: "Keep the saved plan").contains("if: always() && steps.plan.outcome == 'success'"))
        #expect(step(plan, named: "Plan").contains("id: plan"))
        #expect(step(apply, named: "Keep the report").contains("if: always()"))
        #expect(!apply.contains("--format json") && apply.components(separatedBy: "--report apply-report.json").count == 3)
        // drift.yml also asks whether the webhooks deliver: one health issue, opened or commented
        // on while one is unhealthy (exit 2), closed once all are healthy again; exit 1 fails.
        let drift = try String(contentsOf: workflows[2], encoding: .utf8)
        let health = step(drift, named: "Delivery health")
        #expect(health.contains("kapsoctl status --format markdown > status.md") && health.contains("if [ \"$code\" -eq 1 ]; then exit 1; fi"))
        let issue = step(drift, named: "Open, update or close the health issue")
        #expect(issue.contains("--label kapsoctl-health") && issue.contains("gh issue close \"$issue\"") && issue.contains("gh issue create"))
        let reviewed = step(apply, named: "Apply the reviewed plan")
        #expect(reviewed.contains("--commit \"$head\"") && !reviewed.contains("--branch"), "\(reviewed)")
    }

    /// The threat model in the workflows: every one lists what ${VAR} may read and keeps no
    /// credentials in the checkout; on pull requests, verify (which sends signed deliveries) runs
    /// only in a job with an environment (whose reviewers approve it), never beside the plan.
    @Test func secretsReachOnlyReviewedSteps() throws {
        for file in workflows {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.contains("KAPSOCTL_SPEC_VARS: \""), "\(file.lastPathComponent) does not list the spec's variables")
            let checkouts = text.components(separatedBy: "uses: actions/checkout@").count - 1
            #expect(text.components(separatedBy: "persist-credentials: false").count - 1 == checkouts, "\(file.lastPathComponent)")
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (index, line) in lines.enumerated() where line.contains("run: kapsoctl verify") || line.contains("run: kapsoctl apply") {
                let jobStart = lines[..<index].lastIndex { $0.hasPrefix("  ") && !$0.hasPrefix("   ") && $0.hasSuffix(":") } ?? 0
                #expect(lines[jobStart..<index].contains { $0.hasPrefix("    environment: ") }, "\(file.lastPathComponent):\(index + 1) runs without an approved environment")
            }
        }
    }

    /// Every GitHub action used is at a major version that runs on Node 24 (older ones are
    /// deprecated, and warn on every run): checked in the examples, the project's workflows and
    /// the setup action.
    @Test func actionsAreAtTheirNode24Majors() throws {
        let node24: [String: Int] = ["actions/checkout": 5, "actions/upload-artifact": 6, "actions/download-artifact": 7,
                                     "actions/cache": 5, "actions/attest-build-provenance": 3]
        var seen: Set<String> = []
        for file in workflows + projectWorkflows + [action] {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "uses: "), !line.contains("#") else { continue }
                let reference = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                let parts = reference.split(separator: "@", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0].hasPrefix("actions/") else {
                    #expect(reference.hasPrefix("./") || reference.hasPrefix("kapsoctl/kapsoctl@"), "\(file.lastPathComponent): \(reference)")
                    continue
                }
                let minimum = try #require(node24[parts[0]], "\(file.lastPathComponent) uses \(parts[0]), not in the table")
                let major = Int(parts[1].dropFirst().prefix { $0.isNumber }) ?? 0
                #expect(parts[1].hasPrefix("v") && major >= minimum, "\(file.lastPathComponent): \(reference) is older than v\(minimum)")
                seen.insert(parts[0])
            }
        }
        #expect(seen.isSuperset(of: ["actions/checkout", "actions/upload-artifact", "actions/cache"]), "\(seen)")
    }

    /// The release notes come from CHANGELOG.md: the current version has a section (the release
    /// workflow publishes nothing for a tag without one), and a version without one is refused.
    @Test func releaseNotesComeFromTheChangelog() async throws {
        let script = packageRoot.appendingPathComponent("scripts/release-notes").path
        let bash = URL(fileURLWithPath: "/bin/bash")
        let notes = try await runTool(bash, [script, "v\(KapsoctlVersion.current)"])
        #expect(notes.status == 0, "\(notes.output)")
        #expect(!notes.output.hasPrefix("\n") && notes.output.contains("### "), "\(notes.output)")
        #expect(!notes.output.contains("## ["), "one section only: \(notes.output)")
        let missing = try await runTool(bash, [script, "99.0.0"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("CHANGELOG.md has no notes for 99.0.0"), "\(missing.output)")
        // The release job runs it and checks the tag against the binary's version.
        let release = try String(contentsOf: projectWorkflows[1], encoding: .utf8)
        #expect(release.contains("bash scripts/release-notes") && release.contains("kapsoctl --version") && release.contains("bash scripts/release\n"))
        #expect(release.contains("ubuntu-24.04-arm") && release.contains("--filter \"ReleaseArchive|Install\""))
    }

    /// zizmor's security audit (secrets reaching untrusted input, template injection, persisted
    /// credentials, broad permissions) finds nothing; it can fail (a pull request's title in a
    /// `run:` is template injection).
    @Test func workflowsPassTheSecurityAudit() async throws {
        guard let tool = pythonTool("zizmor", packageRoot: packageRoot) else {
            Issue.record("zizmor is not installed: run `bash scripts/ensure-tools` (scripts/test does)")
            return
        }
        let config = packageRoot.appendingPathComponent("examples/github-actions/zizmor.yml").path
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fromReadme = try readmeWorkflow(in: dir)
        let result = try await runTool(tool, ["--offline", "--no-progress", "--config", config] + (workflows + projectWorkflows + [action, fromReadme]).map(\.path))
        #expect(result.status == 0, "\(result.output)")
        let unsafe = dir.appendingPathComponent("unsafe.yml")
        try "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n"
            .write(to: unsafe, atomically: true, encoding: .utf8)
        let refused = try await runTool(tool, ["--offline", "--no-progress", "--config", config, unsafe.path])
        #expect(refused.status != 0, "\(refused.output)")
    }
}
