import Foundation
import KapsoKit
import KapsoSimulator
import TestSupport
import Testing

private let fixtures = packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures")

/// A throwaway CA (openssl) and a certificate it signed for 127.0.0.1, in `dir`.
private func makeCertificates(in dir: URL) async throws {
    let openssl = URL(fileURLWithPath: "/usr/bin/openssl")
    func run(_ arguments: [String]) async throws {
        let result = try await runTool(openssl, arguments, directory: dir)
        #expect(result.status == 0, "openssl \(arguments.first ?? ""): \(result.output)")
    }
    // P-256 keys: made in a millisecond, where an RSA key takes a tenth of a second.
    try await run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                   "-subj", "/CN=kapsoctl test interception CA"])
    try await run(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
    try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: dir.appendingPathComponent("san.cnf"), atomically: true, encoding: .utf8)
    try await run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                   "-days", "2", "-extfile", "san.cnf"])
}

/// The port a helper printed as `listening on PORT`.
private func port(of helper: BackgroundProcess) async throws -> Int {
    let line = try #require(await helper.line(startingWith: "listening on "))
    return try #require(Int(line.dropFirst("listening on ".count)))
}

/// Asks the proxy for a tunnel to `name` and waits for its line: every line the proxy printed
/// before is then read. Returns how many CONNECT lines it has printed, the sentinel's included.
private func sentinelCount(_ proxy: BackgroundProcess, port: Int, name: String) async throws -> Int {
    let answered = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        // A blocking exchange of a few bytes on loopback, off the concurrency pool.
        DispatchQueue.global().async { continuation.resume(returning: connectThroughProxy(port: port, to: "\(name):1")) }
    }
    #expect(answered, "the proxy on port \(port) did not answer the sentinel CONNECT")
    _ = await proxy.line(startingWith: "CONNECT \(name):1")
    return proxy.lines.filter { $0.hasPrefix("CONNECT ") }.count
}

/// Sends `CONNECT target` to the proxy on loopback `port` and reads its answer; false when the
/// connection failed or the proxy closed without a byte.
private func connectThroughProxy(port: Int, to target: String) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return false }
    let request = Array("CONNECT \(target) HTTP/1.1\r\n\r\n".utf8)
    guard send(fd, request, request.count, 0) == request.count else { return false }
    var answer = [UInt8](repeating: 0, count: 100)
    return recv(fd, &answer, answer.count, 0) > 0
}

/// CI runners behind TLS interception or a proxy: the simulator behind a TLS front whose
/// certificate a throwaway CA signed, and an HTTP CONNECT proxy, all on loopback.
@Suite struct CorporateNetworkTests {
    @Test func customCABundleProxiesAndUntrustedCertificates() async throws {
        try await withScenario { _, dir, env in
            try await makeCertificates(in: dir)
            let simulatorPort = try #require(URL(string: env["KAPSO_API_URL"]!)?.port)
            let front = try BackgroundProcess([pythonInterpreter(packageRoot: packageRoot), fixtures.appendingPathComponent("network_fronts.py").path, "tls",
                                                       dir.appendingPathComponent("server.pem").path,
                                                       dir.appendingPathComponent("server.key").path, String(simulatorPort)])
            defer { front.stop() }
            let proxy = try BackgroundProcess([pythonInterpreter(packageRoot: packageRoot), fixtures.appendingPathComponent("network_fronts.py").path, "proxy"])
            defer { proxy.stop() }
            let tlsPort = try await port(of: front)
            let proxyPort = try await port(of: proxy)
            var secure = env
            secure["KAPSO_API_URL"] = "https://127.0.0.1:\(tlsPort)/api/v1"
            func accepted() -> Int { front.lines.filter { $0.hasPrefix("accepted ") }.count }

            // Not trusted: said once, in words, with what to do; not retried (one connection per
            // config read, two configs).
            let untrusted = try await runKapsoctl(["plan"], environment: secure, directory: dir)
            #expect(untrusted.status == 1)
            let errors = untrusted.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errors.count == 1, "\(untrusted.stderr)")
            // The front prints a line per connection; its pipe may lag behind kapsoctl's exit.
            _ = await front.line(startingWith: "accepted 2")
            #expect(untrusted.stderr.contains("error: cannot connect securely to the API (2 reads failed, none retried)"), "\(untrusted.stderr)")
            #expect(untrusted.stderr.contains("the server's TLS certificate is not trusted (unable to get local issuer certificate)"), "\(untrusted.stderr)")
            #expect(untrusted.stderr.contains("point SSL_CERT_FILE at a PEM bundle"))
            #expect(!untrusted.stderr.contains("network error") && !untrusted.stderr.contains("attempts"), "\(untrusted.stderr)")
            #expect(accepted() == 2, "\(front.lines)")

            // SSL_CERT_FILE: the interception CA is trusted, and the plan is the scenario's.
            var trusted = secure
            trusted["SSL_CERT_FILE"] = dir.appendingPathComponent("ca.pem").path
            let plan = try await runKapsoctl(["plan"], environment: trusted, directory: dir)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.hasSuffix("Plan: 1 to create, 2 to update, 1 to delete, 150 unchanged, 1 unmanaged.\n"))

            // HTTPS_PROXY: the run goes through the proxy's CONNECT tunnel.
            var proxied = trusted
            proxied["HTTPS_PROXY"] = "http://127.0.0.1:\(proxyPort)"
            let throughProxy = try await runKapsoctl(["plan"], environment: proxied, directory: dir)
            #expect(throughProxy.status == 0, "\(throughProxy.stderr)")
            #expect(await proxy.line(startingWith: "CONNECT 127.0.0.1:\(tlsPort)") != nil, "\(proxy.lines)")
            // NO_PROXY: not through it. The proxy's lines are counted only once a sentinel tunnel
            // of the test's own shows all earlier ones have been read (no race with the pipe).
            let tunnels = try await sentinelCount(proxy, port: proxyPort, name: "sentinel-a")
            proxied["NO_PROXY"] = "127.0.0.1"
            let direct = try await runKapsoctl(["plan"], environment: proxied, directory: dir)
            #expect(direct.status == 0, "\(direct.stderr)")
            #expect(try await sentinelCount(proxy, port: proxyPort, name: "sentinel-b") == tunnels + 1, "NO_PROXY was ignored: \(proxy.lines)")

            // A proxy that is not there is said in words.
            var noProxy = trusted
            noProxy["HTTPS_PROXY"] = "http://127.0.0.1:9"
            let refused = try await runKapsoctl(["plan", "--retry-budget", "0"], environment: noProxy, directory: dir)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("could not connect to the proxy"), "\(refused.stderr)")

            // A bundle that cannot be read is refused before any request.
            let before = accepted()
            var missing = secure
            missing["SSL_CERT_FILE"] = dir.appendingPathComponent("no-such.pem").path
            let badBundle = try await runKapsoctl(["plan"], environment: missing, directory: dir)
            #expect(badBundle.status == 1)
            #expect(badBundle.stderr.contains("SSL_CERT_FILE names \(dir.path)/no-such.pem, which cannot be read"), "\(badBundle.stderr)")
            #expect(accepted() == before)
            expectNoCanary(untrusted.stdout, untrusted.stderr, plan.stdout, plan.stderr, throughProxy.stderr, refused.stderr)
        }
    }
}
