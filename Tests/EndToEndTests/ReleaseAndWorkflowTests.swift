import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

/// The machine's architecture as `uname -m` names it (the archive's name uses it).
private func machine() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

/// The release archive `scripts/release` built (scripts/test runs it before the tests).
private func releaseArchive() -> URL {
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
        for file in ["kapsoctl", "LICENSE", "THIRD_PARTY_NOTICES", "README.md", "man/kapsoctl.1",
                     "completions/kapsoctl.bash", "completions/_kapsoctl", "completions/kapsoctl.fish"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(file).path), "\(file) missing")
        }
        let binary = root.appendingPathComponent("kapsoctl")

        let ldd = try await runTool(URL(fileURLWithPath: "/usr/bin/ldd"), [binary.path])
        #expect(ldd.status == 0, "\(ldd.output)")
        #expect(!ldd.output.lowercased().contains("swift"), "a Swift library is linked dynamically:\n\(ldd.output)")
        #expect(!ldd.output.contains("libFoundation") && !ldd.output.contains("libyaml") && !ldd.output.contains("not found"), "\(ldd.output)")
        let readelf = try await runTool(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", binary.path])
        let needed = Set(readelf.output.split(separator: "\n").compactMap { line -> String? in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        })
        let system: Set<String> = ["libcurl.so.4", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libc.so.6",
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

    /// The three workflows pass GitHub's workflow schema (check-jsonschema's vendored copy).
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
        let result = try await runTool(tool, ["--builtin-schema", "vendor.github-workflows", "--output-format", "text"]
                                       + workflows.map(\.path) + [broken.path])
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains("\(broken.path)::"), "\(result.output)")
        for workflow in workflows {
            #expect(!result.output.contains("\(workflow.path)::"), "\(result.output)")
        }
    }

    /// Every kapsoctl command line in the workflows uses flags the binary has, and the version they
    /// install is this one: copying them never meets an "unknown option".
    @Test func workflowCommandsExist() async throws {
        var checked = 0
        for file in workflows {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.contains("KAPSOCTL_VERSION: \"\(KapsoctlVersion.current)\""), "\(file.lastPathComponent) installs another version")
            for line in text.split(separator: "\n") {
                guard let start = line.range(of: "kapsoctl ", options: .backwards), !line.contains("#"),
                      line[start.upperBound...].first?.isLetter == true else { continue }
                let words = line[start.upperBound...].split(separator: " ").map(String.init)
                guard let command = words.first, ["validate", "plan", "apply", "export", "verify"].contains(command) else { continue }
                let help = try await runKapsoctl([command, "--help"])
                for flag in words.dropFirst() where flag.hasPrefix("--") {
                    #expect(help.stdout.contains(flag), "\(file.lastPathComponent): kapsoctl \(command) has no \(flag)")
                    checked += 1
                }
            }
        }
        #expect(checked >= 12, "only \(checked) flags found: the workflow parsing broke")
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

    /// zizmor's security audit (secrets reaching untrusted input, template injection, persisted
    /// credentials, broad permissions) finds nothing; it can fail (a pull request's title in a
    /// `run:` is template injection).
    @Test func workflowsPassTheSecurityAudit() async throws {
        guard let tool = pythonTool("zizmor", packageRoot: packageRoot) else {
            Issue.record("zizmor is not installed: run `bash scripts/ensure-tools` (scripts/test does)")
            return
        }
        let config = packageRoot.appendingPathComponent("examples/github-actions/zizmor.yml").path
        let result = try await runTool(tool, ["--offline", "--no-progress", "--config", config] + workflows.map(\.path))
        #expect(result.status == 0, "\(result.output)")
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let unsafe = dir.appendingPathComponent("unsafe.yml")
        try "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n"
            .write(to: unsafe, atomically: true, encoding: .utf8)
        let refused = try await runTool(tool, ["--offline", "--no-progress", "--config", config, unsafe.path])
        #expect(refused.status != 0, "\(refused.output)")
    }
}
