import Foundation
import Testing
@testable import KapsoKit

/// Where verify may send (``DeliveryPolicy``, ``AddressClass``) and what `${VAR}` may read
/// (``SpecVariables``), as pure rules.
@Suite struct DeliveryPolicyTests {
    @Test(arguments: [
        ("127.0.0.1", false), ("127.8.9.1", false), ("0.0.0.0", false), ("10.1.2.3", false), ("172.16.0.1", false),
        ("172.31.255.255", false), ("192.168.1.1", false), ("169.254.169.254", false), ("100.64.0.1", false),
        ("224.0.0.1", false), ("255.255.255.255", false), ("::1", false), ("::", false), ("fe80::1", false),
        ("fd00::1", false), ("fc00::1", false), ("::ffff:127.0.0.1", false), ("::ffff:169.254.169.254", false),
        ("64:ff9b::a9fe:a9fe", false), ("2002:7f00:1::", false), ("fd00:ec2::254", false), ("ff02::1", false),
        ("8.8.8.8", true), ("172.32.0.1", true), ("100.128.0.1", true), ("2606:4700::1111", true), ("::ffff:8.8.8.8", true),
        ("not-an-address", false),
    ])
    func addressClasses(_ address: String, _ isPublic: Bool) {
        #expect(AddressClass.isPublic(address) == isPublic, "\(address)")
    }

    @Test func hostPatterns() throws {
        func origin(_ url: String) -> DeliveryPolicy.Origin { DeliveryPolicy.Origin(url)! }
        let exact = try #require(DeliveryPolicy.HostPattern("API.acme.com"))
        #expect(exact.matches(origin("https://api.acme.com/x")) && exact.matches(origin("https://api.acme.com.:8443/x")))
        #expect(!exact.matches(origin("https://evil-api.acme.com/x")) && !exact.matches(origin("https://api.acme.com.evil.com/")))
        let port = try #require(DeliveryPolicy.HostPattern("api.acme.com:8443"))
        #expect(port.matches(origin("https://api.acme.com:8443/")) && !port.matches(origin("https://api.acme.com/")))
        let wild = try #require(DeliveryPolicy.HostPattern("*.acme.com"))
        #expect(wild.matches(origin("https://a.b.acme.com/")) && !wild.matches(origin("https://acme.com/")) && !wild.matches(origin("https://xacme.com/")))
        let v6 = try #require(DeliveryPolicy.HostPattern("[::1]:8080"))
        #expect(v6.matches(origin("http://[::1]:8080/")))
        for bad in ["", "https://a.com", "a.com/x", "user@a.com", "a.com:0", "a.com:99999", "*", "a.*.com"] {
            #expect(DeliveryPolicy.HostPattern(bad) == nil, "\(bad)")
        }
        #expect(throws: DeliveryPolicy.PatternError.self) { try DeliveryPolicy.patterns(["a.com, https://b.com"]) }
    }

    @Test func registeredOriginsAndRefusals() throws {
        let policy = DeliveryPolicy(registered: [DeliveryPolicy.Origin("https://API.acme.com/hooks")!])
        #expect(policy.originRefusal("https://api.acme.com:443/other") == nil)
        #expect(policy.originRefusal("https://api.acme.com:8443/") != nil)
        #expect(policy.originRefusal("http://api.acme.com/") != nil)
        // The refusal never names the host (a secret may have been written into it).
        #expect(policy.originRefusal("https://s3cret-token.evil.example/")?.contains("s3cret") == false)
    }

    @Test func addressesAreCheckedAfterResolution() async {
        let strict = DeliveryPolicy()
        #expect(await strict.address(for: "http://127.0.0.1:9/x") == .failure(.init(message: "its host resolves to a loopback address, which kapsoctl does not send to unless --allow-private-addresses is given")))
        #expect(await strict.address(for: "http://[::ffff:169.254.169.254]/x").isFailure)
        #expect(await DeliveryPolicy(allowPrivateAddresses: true).address(for: "http://127.0.0.1:9/x") == .success("127.0.0.1"))
        #expect(await strict.address(for: "https://kapsoctl-test.invalid/") == .failure(.init(message: "could not resolve the host name", connection: true)))
    }

    @Test func specVariables() {
        let open = SpecVariables(environment: ["A_SECRET": "v", "GITHUB_TOKEN": "t", "HOME": "/h", "KAPSO_API_KEY": "k", "KAPSO_HOOK": "ok"])
        #expect(open.value("A_SECRET") == "v")
        #expect(open.value("UNSET") == nil && !open.lookup("UNSET").isFailure)
        #expect(open.value("KAPSO_HOOK") == "ok")
        for name in ["GITHUB_TOKEN", "HOME", "KAPSO_API_KEY", "KAPSO_API_URL", "KAPSOCTL_SPEC_VARS", "RUNNER_TEMP", "ACTIONS_RUNTIME_TOKEN", "PATH", "LC_ALL", "CI", "HTTPS_PROXY", "https_proxy"] {
            #expect(open.lookup(name).isFailure, "\(name)")
        }
        let listed = SpecVariables(environment: ["KAPSOCTL_SPEC_VARS": "A_SECRET,B_*  HOME", "A_SECRET": "v", "B_X": "b", "C": "c", "HOME": "/h"])
        #expect(listed.value("A_SECRET") == "v" && listed.value("B_X") == "b")
        #expect(listed.lookup("C").isFailure && listed.lookup("HOME").isFailure)
    }
}

extension SpecVariables {
    func value(_ name: String) -> String? {
        switch lookup(name) {
        case .success(.secret(let value)), .success(.plain(let value)): value
        default: nil
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
