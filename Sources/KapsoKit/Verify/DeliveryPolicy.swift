import Foundation

/// Where `verify` may send a signed delivery.
///
/// A delivery carries the webhook's secret (as its signature: an offline guessing oracle) and its
/// headers, values substituted from the environment among them. On a pull request the spec is
/// unreviewed text, so the spec alone can never choose where those go: an endpoint is sent to only
/// when its scheme, host and port are already registered in the live Kapso project (someone with
/// the API key put them there) or the workflow allows its host (`--allow-host`,
/// `KAPSOCTL_VERIFY_HOSTS`). This is decided on the URL's text, before any DNS query, so a secret
/// written into a host name never leaves the machine. Then every address the host resolves to must
/// be public (not loopback, private, link-local, shared, multicast or a cloud metadata address)
/// unless private addresses are allowed explicitly, and the connection is pinned to the address
/// that was checked.
public struct DeliveryPolicy: Sendable {
    /// `https://host:port` of every webhook registered in the live project.
    public var registered: Set<Origin>
    /// Hosts the workflow allows: `host`, `host:port` or `*.domain`.
    public var allowedHosts: [HostPattern]
    /// Loopback, private and link-local addresses may be sent to (tests, a staging network).
    public var allowPrivateAddresses: Bool

    public init(registered: Set<Origin> = [], allowedHosts: [HostPattern] = [], allowPrivateAddresses: Bool = false) {
        self.registered = registered
        self.allowedHosts = allowedHosts
        self.allowPrivateAddresses = allowPrivateAddresses
    }

    /// A URL's scheme, host (lowercased, no trailing dot, no brackets) and port (the default one
    /// filled in).
    public struct Origin: Hashable, Sendable {
        public var scheme: String
        public var host: String
        public var port: Int

        public init?(_ url: String) {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                  var host = components.host?.lowercased(), !host.isEmpty else { return nil }
            host = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            while host.hasSuffix(".") { host.removeLast() }
            self.scheme = scheme
            self.host = host
            self.port = components.port ?? (scheme == "https" ? 443 : 80)
        }
    }

    /// One `--allow-host` entry.
    public struct HostPattern: Sendable, Equatable {
        var host: String
        var port: Int?
        var subdomains: Bool

        /// `api.acme.com`, `api.acme.com:8443`, `*.acme.com`, `127.0.0.1:8080`, `[::1]:8080`.
        public init?(_ text: String) {
            var rest = text.trimmingCharacters(in: .whitespaces).lowercased()
            guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { return nil }
            var port: Int?
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { return nil }; port = p } else if !after.isEmpty { return nil }
                rest = String(rest[rest.index(after: rest.startIndex)..<close])
            } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
                guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
                port = p
                rest = String(rest[..<colon])
            }
            subdomains = rest.hasPrefix("*.")
            if subdomains { rest.removeFirst(2) }
            while rest.hasSuffix(".") { rest.removeLast() }
            guard !rest.isEmpty, !rest.contains("*") else { return nil }
            host = rest
            self.port = port
        }

        func matches(_ origin: Origin) -> Bool {
            if let port, port != origin.port { return false }
            return subdomains ? origin.host.hasSuffix("." + host) : origin.host == host
        }
    }

    /// The patterns of `KAPSOCTL_VERIFY_HOSTS` (separated by commas or spaces) and of the flags;
    /// an entry that is not a host is an error naming it.
    public static func patterns(_ entries: [String]) throws(PatternError) -> [HostPattern] {
        try entries.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " }) }.map { entry throws(PatternError) in
            guard let pattern = HostPattern(String(entry)) else { throw PatternError(entry: String(entry)) }
            return pattern
        }
    }

    public struct PatternError: Error, Sendable {
        public var entry: String
    }

    /// Why `url` may not get a delivery, in words, or nil when its origin is trusted. Never
    /// names the host (a secret may be written into it).
    public func originRefusal(_ url: String) -> String? {
        guard let origin = Origin(url) else { return "its URL is not an absolute URL" }
        if registered.contains(origin) || allowedHosts.contains(where: { $0.matches(origin) }) { return nil }
        return "its host is neither registered in the live Kapso project nor allowed by --allow-host (or KAPSOCTL_VERIFY_HOSTS); "
            + "the spec alone cannot choose where a signed delivery goes, since a pull request could have written it"
    }

    /// The address to connect to for `url`, or why none may be: `host` resolved (a literal
    /// address as it is) and every address it gives checked.
    public func address(for url: String) async -> Result<String, AddressRefusal> {
        guard let origin = Origin(url) else { return .failure(AddressRefusal(message: "its URL is not an absolute URL")) }
        let addresses = await Self.resolve(origin.host, port: origin.port)
        guard let first = addresses.first else { return .failure(AddressRefusal(message: "could not resolve the host name", connection: true)) }
        if !allowPrivateAddresses, let bad = addresses.first(where: { !AddressClass.isPublic($0) }) {
            return .failure(AddressRefusal(message: "its host resolves to \(AddressClass.describe(bad)) address, which kapsoctl does not send to unless --allow-private-addresses is given"))
        }
        return .success(first)
    }

    public struct AddressRefusal: Error, Sendable, Equatable {
        public var message: String
        /// True when the name did not resolve (a connection failure), not a refusal by rule.
        public var connection = false
    }

    /// Every address `host` resolves to, numeric, in the resolver's order; a thread of its own
    /// (getaddrinfo blocks).
    static func resolve(_ host: String, port: Int) async -> [String] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var hints = addrinfo()
                hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, String(port), &hints, &list) == 0 else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(list) }
                var out: [String] = []
                var node = list
                while let current = node {
                    var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        if !out.contains(text) { out.append(text) }
                    }
                    node = current.pointee.ai_next
                }
                continuation.resume(returning: out)
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }
}

/// Which addresses are on the public internet.
public enum AddressClass {
    /// False for loopback, unspecified, private (RFC 1918, IPv6 ULA), shared (100.64/10),
    /// link-local (169.254/16 — the cloud metadata service — and fe80::/10), multicast,
    /// reserved and documentation ranges, and IPv4 mapped or embedded in IPv6 that is any of those.
    public static func isPublic(_ address: String) -> Bool {
        classify(address) == nil
    }

    /// `a loopback`, `a private` ... for messages.
    static func describe(_ address: String) -> String {
        "a " + (classify(address) ?? "public")
    }

    static func classify(_ address: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return classify(v4: withUnsafeBytes(of: v4.s_addr) { Array($0) })
        }
        var v6 = in6_addr()
        let bare = address.split(separator: "%").first.map(String.init) ?? address
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return "unrecognised" }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return b[15] == 1 ? "loopback" : "unspecified" }
        // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64)
        if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xFF && b[11] == 0xFF) || (b[10] == 0 && b[11] == 0)) {
            return classify(v4: Array(b[12..<16]))
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return classify(v4: Array(b[12..<16])) }
        if b[0] & 0xFE == 0xFC { return "private" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "link-local" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "site-local" }
        if b[0] == 0xFF { return "multicast" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return "documentation" }
        if b[0] == 0x20 && b[1] == 0x02 { return classify(v4: Array(b[2..<6])) }  // 6to4 embeds an IPv4 address
        if b[0] == 0xFD && b[1] == 0x00 && b[2] == 0x0E && b[3] == 0xC2 { return "metadata" }  // AWS fd00:ec2::254
        return nil
    }

    private static func classify(v4 b: [UInt8]) -> String? {
        switch (b[0], b[1]) {
        case (127, _): return "loopback"
        case (0, _): return "unspecified"
        case (10, _), (172, 16...31), (192, 168): return "private"
        case (100, 64...127): return "shared (carrier-grade NAT)"
        case (169, 254): return "link-local (cloud metadata)"
        case (192, 0) where b[2] == 0 || b[2] == 2: return "reserved"
        case (198, 18...19): return "benchmarking"
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return "documentation"
        case (224...239, _): return "multicast"
        case (240...255, _): return "reserved"
        default: return nil
        }
    }
}
