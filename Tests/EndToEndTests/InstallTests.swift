import Foundation
import KapsoKit
import TestSupport
import Testing

/// An archive laid out as the release's (`NAME/kapsoctl` in `NAME.tar.gz`) that holds a script
/// printing this release's version in place of the 64 MB binary, and its `.sha256` line: the
/// installer's every check, without unpacking the real archive for each case. One install (the
/// first in ``InstallTests/installsFromALoopbackServer()``) is of the real archive.
private func standIn() async throws -> (archive: Data, sha256: Data) {
    let dir = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let name = releaseArchive().lastPathComponent.replacingOccurrences(of: ".tar.gz", with: "")
    let binary = dir.appendingPathComponent("\(name)/kapsoctl")
    try FileManager.default.createDirectory(at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "#!/bin/sh\necho \(KapsoctlVersion.current)\n".write(to: binary, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
    let tar = try await runTool(URL(fileURLWithPath: "/bin/tar"), ["-czf", "\(name).tar.gz", name], directory: dir)
    #expect(tar.status == 0, "\(tar.output)")
    let sum = try await runTool(URL(fileURLWithPath: "/usr/bin/sha256sum"), ["\(name).tar.gz"], directory: dir)
    return (try Data(contentsOf: dir.appendingPathComponent("\(name).tar.gz")), Data(sum.output.utf8))
}

/// A release server on loopback laid out as GitHub's releases are (`/vVERSION/NAME.tar.gz` and
/// `.sha256`), serving the archive `scripts/release` built, or the bytes a test gives instead.
private func withReleaseServer<T>(archive: Data? = nil, sha256: Data? = nil,
                                  _ body: (_ baseURL: String) async throws -> T) async throws -> T? {
    let file = releaseArchive()
    guard FileManager.default.fileExists(atPath: file.path) else {
        Issue.record("no \(file.lastPathComponent) in dist/: run `bash scripts/release` (scripts/test does)")
        return nil
    }
    let bytes = try archive ?? Data(contentsOf: file)
    let sum = try sha256 ?? Data(contentsOf: URL(fileURLWithPath: file.path + ".sha256"))
    let prefix = "/releases/download/v\(KapsoctlVersion.current)/\(file.lastPathComponent)"
    let server = try RawHTTPServer(mode: .closeAfter(100)) { request in
        switch request.path {
        case prefix: RawResponse(status: 200, headers: ["Content-Type": "application/gzip"], body: bytes)
        case prefix + ".sha256": RawResponse(status: 200, body: sum)
        default: RawResponse(status: 404, body: Data("Not Found".utf8))
        }
    }
    defer { server.stop() }
    return try await body(server.origin.absoluteString + "/releases/download")
}

/// `scripts/install.sh` under `env -i`, with the variables given.
private func install(_ variables: [String: String], directory: URL) async throws -> ToolResult {
    let assignments = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(directory.path)"] + variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return try await runTool(URL(fileURLWithPath: "/usr/bin/env"),
                             ["-i"] + assignments + ["bash", packageRoot.appendingPathComponent("scripts/install.sh").path], directory: directory)
}

/// What is in a directory (nothing when it does not exist).
private func contents(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
}

@Suite struct InstallTests {
    /// install.sh downloads the archive for this machine from the release server, checks it and
    /// installs a kapsoctl that runs; without KAPSOCTL_VERSION it installs its own release (this
    /// one); a second install over the first works (the binary is replaced in one rename); a
    /// checksum the caller pins is checked too.
    @Test func installsFromALoopbackServer() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        try await withReleaseServer { base in
            let result = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": bin.path], directory: dir)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("installed kapsoctl \(KapsoctlVersion.current) as \(bin.path)/kapsoctl"), "\(result.output)")
            #expect(result.output.contains("note: \(bin.path) is not on PATH"), "\(result.output)")

            let version = try await runTool(bin.appendingPathComponent("kapsoctl"), ["--version"])
            #expect(version.output == "\(KapsoctlVersion.current)\n")
        }
        // Again over the first (the stand-in archive from here on), pinned by the caller too (in
        // capitals): the right checksum installs.
        let (archive, sha256) = try await standIn()
        try await withReleaseServer(archive: archive, sha256: sha256) { base in
            let sum = String(decoding: sha256.prefix(64), as: UTF8.self)
            let pinned = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": bin.path, "KAPSOCTL_SHA256": sum.uppercased()], directory: dir)
            #expect(pinned.status == 0, "\(pinned.output)")
            #expect(contents(bin) == ["kapsoctl"])
            #expect(try String(contentsOf: bin.appendingPathComponent("kapsoctl"), encoding: .utf8).hasPrefix("#!/bin/sh"), "not installed over the first")

            // Another pinned checksum is refused.
            let other = dir.appendingPathComponent("other")
            let wrongPin = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": other.path,
                                              "KAPSOCTL_SHA256": String(repeating: "0", count: 64)], directory: dir)
            #expect(wrongPin.status == 1)
            #expect(wrongPin.output.contains("is not the pinned KAPSOCTL_SHA256"), "\(wrongPin.output)")
            #expect(contents(other).isEmpty)
        }
    }

    /// A tampered archive (one byte changed), a checksum file that holds no checksum, a version the
    /// server does not have, and a plain-http server that is not on loopback are refused in words,
    /// and nothing is installed.
    @Test func aTamperedArchiveIsRefusedAndNothingInstalled() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        let (archive, sha256) = try await standIn()
        var tampered = archive
        tampered[tampered.count / 2] ^= 0x01
        try await withReleaseServer(archive: tampered, sha256: sha256) { base in
            let result = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": bin.path], directory: dir)
            #expect(result.status == 1)
            #expect(result.output.contains("error: the archive's checksum does not match kapsoctl-\(KapsoctlVersion.current)-linux-\(machine()).tar.gz.sha256"), "\(result.output)")
            #expect(result.output.contains("nothing installed"))
        }
        try await withReleaseServer(archive: archive, sha256: Data("<html>rate limited</html>\n".utf8)) { base in
            let result = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": bin.path], directory: dir)
            #expect(result.status == 1)
            #expect(result.output.contains(".sha256 does not hold a SHA-256 checksum: nothing installed"), "\(result.output)")
        }
        try await withReleaseServer(archive: archive, sha256: sha256) { base in
            let result = try await install(["KAPSOCTL_BASE_URL": base, "KAPSOCTL_INSTALL_DIR": bin.path, "KAPSOCTL_VERSION": "v9.8.7"], directory: dir)
            #expect(result.status == 1)
            #expect(result.output.contains("there is no kapsoctl 9.8.7 for linux-\(machine()) at \(base)/v9.8.7/kapsoctl-9.8.7-linux-\(machine()).tar.gz (404 Not Found)"), "\(result.output)")
        }
        for (variables, words) in [
            (["KAPSOCTL_BASE_URL": "http://releases.example.com"], "must be an https:// URL (or http:// on loopback)"),
            (["KAPSOCTL_VERSION": "latest; rm -rf /"], "is not a release version (like 0.2.0)"),
        ] {
            let result = try await install(variables.merging(["KAPSOCTL_INSTALL_DIR": bin.path]) { a, _ in a }, directory: dir)
            #expect(result.status == 1)
            #expect(result.output.contains(words), "\(result.output)")
        }
        #expect(contents(bin).isEmpty, "\(contents(bin))")
    }

    /// The setup action's steps, run as a runner runs a composite action (inputs, step outputs,
    /// `if:` on the cache's miss): it installs this release into the tool cache, puts that
    /// directory on PATH, and a tampered archive fails the step.
    @Test func theSetupActionInstallsAndPutsKapsoctlOnPath() async throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/run_composite_action.py").path
        let action = packageRoot.appendingPathComponent("action.yml").path
        // The virtual environment's own python (ruamel.yaml, check-jsonschema's YAML reader, is there).
        let python = try #require(pythonTool("python3", packageRoot: packageRoot))
        let (archive, sha256) = try await standIn()
        try await withReleaseServer(archive: archive, sha256: sha256) { base in
            let result = try await runTool(python, [runner, action, dir.path, "base-url=\(base)"], directory: dir)
            #expect(result.status == 0, "\(result.output)")
            let path = try #require(result.output.components(separatedBy: "PATH:\n").last?.split(separator: "\n").first.map(String.init))
            let arch = machine() == "x86_64" ? "X64" : "ARM64"
            #expect(path == dir.appendingPathComponent("toolcache/kapsoctl/\(KapsoctlVersion.current)/\(arch)").path, "\(result.output)")
            let version = try await runTool(URL(fileURLWithPath: path).appendingPathComponent("kapsoctl"), ["--version"])
            #expect(version.output == "\(KapsoctlVersion.current)\n")
        }
        var tampered = archive
        tampered[tampered.count - 10] ^= 0x80
        let again = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: again) }
        try await withReleaseServer(archive: tampered, sha256: sha256) { base in
            let result = try await runTool(python, [runner, action, again.path, "base-url=\(base)"], directory: again)
            #expect(result.status != 0)
            #expect(result.output.contains("checksum does not match"), "\(result.output)")
            #expect(!result.output.contains("PATH:"))
        }
    }

    /// With no KAPSOCTL_VERSION, install.sh (and so the action, whose `version` input is empty by
    /// default) installs the release it belongs to: this binary's version.
    @Test func theInstallerDefaultsToItsOwnRelease() async throws {
        let result = try await runTool(URL(fileURLWithPath: "/usr/bin/env"),
                                       ["-i", "PATH=/usr/bin:/bin", "bash", packageRoot.appendingPathComponent("scripts/install.sh").path, "--print-version"])
        #expect(result.output == "\(KapsoctlVersion.current)\n", "\(result.output)")
    }
}
