import Foundation

/// The last line of defence for secrets: replaces every occurrence of a known secret value (every
/// value substituted from the environment into the spec, and the API key) in text about to be
/// written, whatever produced the text — a renderer, an error, a server's message echoing a URL.
///
/// Values shorter than 4 characters are not searched for: they would mask unrelated text. Outputs
/// do not rely on this: they show a spec's `${VAR}` templates and mask credentials by field.
public struct Redactor: Sendable {
    public static let mask = "(sensitive)"
    public static let minimumLength = 4

    /// Longest first, so a secret containing another is replaced whole.
    private let secrets: [[UInt8]]

    public init(_ values: some Sequence<String>) {
        secrets = Set(values.filter { $0.utf8.count >= Self.minimumLength }).sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// The values searched for.
    public var values: [String] { secrets.map { String(decoding: $0, as: UTF8.self) } }

    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        for secret in secrets {
            if let replaced = replace(bytes, secret) {
                bytes = replaced
                changed = true
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// `bytes` with every occurrence of `secret` masked, or nil when there is none.
    private func replace(_ bytes: [UInt8], _ secret: [UInt8]) -> [UInt8]? {
        var out: [UInt8]?
        let mask = Array(Self.mask.utf8)
        let first = secret[0]
        var copied = 0
        var i = 0
        let last = bytes.count - secret.count
        while i <= last {
            if bytes[i] == first, bytes[i..<(i + secret.count)].elementsEqual(secret) {
                if out == nil { out = []; out!.reserveCapacity(bytes.count) }
                out! += bytes[copied..<i]
                out! += mask
                i += secret.count
                copied = i
            } else {
                i += 1
            }
        }
        guard var result = out else { return nil }
        result += bytes[copied...]
        return result
    }
}
