/// What the server stored differently from what a write sent: read back from the write's own
/// answer (a POST and a PATCH return the stored webhook), so proving convergence costs no request.
///
/// A server may normalise what it stores (a trailing slash on the URL, trimmed header values). A
/// difference the URL identity tolerates (scheme and host case, default port, trailing slash,
/// percent-encoding case) is no difference: the next plan matches it. Any other would make every
/// later plan show a change again — and, for a URL, create the webhook again on every apply — so
/// it is reported per field, telling what to write in the spec, and the run exits non-zero.
enum StoredDifferences {
    /// One line per attribute `sent` sets whose stored value differs. Secrets and header values are
    /// never shown (a header's value may be a secret whatever its name).
    static func lines(sent: WebhookAttributes, stored: ServerWebhook) -> [String] {
        var lines: [String] = []
        for attribute in Attribute.all {
            guard let want = sent[attribute] else { continue }
            let have = stored[attribute]
            switch attribute.kind {
            case .secret:
                // A server that hides secrets on reads says nothing here.
                if let text = have?.string, !Planner.isHidden(text), have != want {
                    lines.append("the server stores \(attribute.name) differently from what was sent (values not shown)")
                }
            case .headers:
                let wantMap = lowercased(want.map ?? [:]), haveMap = lowercased(have?.map ?? [:])
                let written = Dictionary((want.map ?? [:]).keys.map { ($0.lowercased(), $0) }) { first, _ in first }
                let names = Set(wantMap.keys).union(haveMap.keys).filter { wantMap[$0] != haveMap[$0] }.map { written[$0] ?? $0 }.sorted()
                if !names.isEmpty {
                    lines.append("the server stores header\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")) differently from what was sent (trimmed or rewritten; values not shown): write the value as the server keeps it")
                }
            case .url:
                if !attribute.kind.same(want, have) {
                    lines.append("the server stores the URL as \(URLDisplay.masked(have?.string ?? "nothing")); write that in the spec, or every apply would create it again")
                }
            default:
                if !attribute.kind.same(want, have) {
                    lines.append("the server stores \(attribute.name) as \(have.map(\.shown) ?? "nothing") (sent \(want.shown)); write that in the spec")
                }
            }
        }
        return lines
    }

    private static func lowercased(_ map: [String: String]) -> [String: String] {
        Dictionary(map.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }
    }
}
