import Foundation
import KapsoKit
import TestSupport
import Testing

/// Relative links of a markdown file that do not resolve: a file that does not exist, or an
/// `#anchor` no heading of the target has (GitHub's slugs). Code blocks are left out.
func brokenLinks(in file: URL, root: URL) throws -> [String] {
    func slug(_ heading: String) -> String {
        let kept = heading.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "-" || $0 == "_" }
        return kept.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "-")
    }
    func anchors(_ url: URL) -> Set<String> {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var fenced = false
        var out = Set<String>()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle() }
            if !fenced, line.hasPrefix("#") {
                out.insert(slug(String(line.drop { $0 == "#" })))
            }
        }
        return out
    }
    var text = try String(contentsOf: file, encoding: .utf8)
    while let start = text.range(of: "```"), let end = text.range(of: "```", range: start.upperBound..<text.endIndex) {
        text.removeSubrange(start.lowerBound..<end.upperBound)
    }
    var broken: [String] = []
    var rest = text[...]
    while let open = rest.range(of: "](") {
        guard let close = rest[open.upperBound...].firstIndex(of: ")") else { break }
        let link = String(rest[open.upperBound..<close])
        rest = rest[close...]
        guard !link.contains(":"), !link.contains(" ") else { continue }
        let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let target = parts[0].isEmpty ? file : file.deletingLastPathComponent().appendingPathComponent(parts[0]).standardizedFileURL
        guard FileManager.default.fileExists(atPath: target.path) else {
            broken.append("\(file.path.dropFirst(root.path.count + 1)): \(link): no such file")
            continue
        }
        if parts.count == 2, target.pathExtension == "md", !anchors(target).contains(parts[1]) {
            broken.append("\(file.path.dropFirst(root.path.count + 1)): \(link): no heading #\(parts[1])")
        }
    }
    return broken
}

/// The documentation a user finds their way in (issue 21).
@Suite struct DocsTests {
    private var markdown: [URL] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("docs").path)) ?? []
        return ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "Benchmarks/README.md"].map { packageRoot.appendingPathComponent($0) }
            + docs.filter { $0.hasSuffix(".md") }.sorted().map { packageRoot.appendingPathComponent("docs/\($0)") }
    }

    /// The README is short; every relative link of every document resolves, anchors included (the
    /// check can fail: a link to a heading that does not exist is found).
    @Test func theReadmeIsShortAndEveryLinkResolves() throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.split(separator: "\n", omittingEmptySubsequences: false).count <= 300)
        #expect(markdown.count >= 12, "\(markdown.map(\.lastPathComponent))")
        for file in markdown {
            #expect(try brokenLinks(in: file, root: packageRoot) == [], "\(file.lastPathComponent)")
        }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "# Title\n\n## A section\n\n[ok](#a-section) [gone](#nowhere) [missing](nope.md) [web](https://example.com)\n"
            .write(to: dir.appendingPathComponent("x.md"), atomically: true, encoding: .utf8)
        #expect(try brokenLinks(in: dir.appendingPathComponent("x.md"), root: dir) == ["x.md: #nowhere: no heading #nowhere", "x.md: nope.md: no such file"])
    }

    /// Every command and every long flag `kapsoctl --help` lists is in the command reference.
    @Test func everyCommandAndFlagIsInTheReference() async throws {
        let reference = try String(contentsOf: packageRoot.appendingPathComponent("docs/commands.md"), encoding: .utf8)
        let root = try await runKapsoctl(["--help"])
        // The subcommands: lines of the SUBCOMMANDS section indented by two spaces exactly.
        let commands = (root.stdout.components(separatedBy: "SUBCOMMANDS:\n").last ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }.filter { $0 != "help" && $0.first?.isLowercase == true }
        #expect(commands.count >= 9, "\(commands)")
        var flags = 0
        var missing: [String] = []
        for command in commands {
            if !reference.contains("kapsoctl \(command)") { missing.append("kapsoctl \(command)") }
            let help = try await runKapsoctl([command, "--help"])
            let options = help.stdout.components(separatedBy: "OPTIONS:").dropFirst().joined()
            for line in options.split(separator: "\n") {
                for word in line.split(whereSeparator: { " ,[]()=<".contains($0) }) where word.hasPrefix("--") && word.count > 2 {
                    let flag = String(word).trimmingCharacters(in: CharacterSet(charactersIn: "'.:;"))
                    guard !["--help", "--version"].contains(flag), flag.dropFirst(2).first?.isLetter == true else { continue }
                    flags += 1
                    if !reference.contains(flag) { missing.append("\(command) \(flag)") }
                }
            }
        }
        #expect(missing == [], "docs/commands.md does not mention: \(Set(missing).sorted())")
        #expect(flags > 60, "only \(flags) flags read: the help parsing broke")
    }

    /// The bound below holds: a program a test starts gets the signals a shell would give it, so
    /// `timeout` ends what outlives it (started with the test thread's mask, SIGALRM and SIGTERM
    /// were blocked: a quick start whose simulator never came up looped on forever).
    @Test func aTimeoutInATestsScriptFires() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let result = try await runTool(URL(fileURLWithPath: "/usr/bin/timeout"), ["0.2", "sleep", "30"])
        #expect(result.status == 124, "\(result.status) \(result.output)")
        // Blocked, the alarm was only seen once `sleep 30` had ended by itself.
        #expect(clock.now - start < .seconds(20), "timeout did not end the command: it ran its 30 s")
    }

    /// The quick start works as written, with the release binary alone on PATH: the README's block
    /// ends with a converged plan (under `timeout`: a simulator that never starts fails the test).
    @Test func theQuickStartWorksAsWritten() async throws {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "<!-- quickstart -->\n```sh\n").dropFirst().first?.components(separatedBy: "\n```").first)
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ("set -euo pipefail\n" + block + "\n")
            .write(to: dir.appendingPathComponent("quickstart.sh"), atomically: true, encoding: .utf8)
        let bin = kapsoctlBinary.deletingLastPathComponent().path
        let result = try await runTool(URL(fileURLWithPath: "/usr/bin/env"),
                                       ["-i", "PATH=\(bin):/usr/bin:/bin", "HOME=\(dir.path)", "timeout", "60", "bash", "quickstart.sh"], directory: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("webhooks.yaml: valid (1 config, 2 webhooks)"), "\(result.output)")
        #expect(result.output.contains("Plan: 2 to create, 0 to update, 0 to delete, 0 unchanged, 0 unmanaged."), "\(result.output)")
        #expect(result.output.contains("Apply: 2 done, 0 failed, 0 not attempted."))
        #expect(result.output.hasSuffix("No changes.\n\nPlan: 0 to create, 0 to update, 0 to delete, 2 unchanged, 0 unmanaged.\n"), "\(result.output)")
        #expect(!result.output.contains("s3cret"))
    }
}
