/// How one changed attribute reads in human output (text and markdown), secrets already masked.
enum FieldDisplay: Equatable {
    /// `before → after` (strings JSON-quoted, so no control character reaches a terminal).
    case replaced(before: String, after: String)
    /// Set changes: items added and removed.
    case set(added: [String], removed: [String])
    /// Header changes by name.
    case map([MapLine])
    /// A secret: only that it changes.
    case sensitive(String)

    enum MapLine: Equatable {
        case added(String, String)
        case removed(String, String)
        case changed(String, String, String)
    }

    static let masked = "(sensitive value)"
    static let maskedChange = "(sensitive value changed)"

    /// The display of `field`; `creating` shows whole values (there is no "before").
    init(_ field: FieldChange, creating: Bool) {
        if field == .generatedSecret {
            self = .sensitive("(\(FieldChange.generatedNote))")
            return
        }
        if field.sensitive {
            self = .sensitive(creating ? Self.masked : Self.maskedChange)
            return
        }
        switch (field.before, field.after) {
        case (.list(let old), .list(let new)) where !creating:
            self = .set(added: new.filter { !old.contains($0) }.sorted().map { HumanText.escape($0) },
                        removed: old.filter { !new.contains($0) }.sorted().map { HumanText.escape($0) })
        case (.null, .list(let new)) where !creating:
            self = .set(added: new.sorted().map { HumanText.escape($0) }, removed: [])
        case (_, .map(let new)):
            let old: [String: String] = if case .map(let m) = field.before { m } else { [:] }
            self = .map(Self.mapLines(old: old, new: new, sensitive: field.sensitiveHeaders))
        default:
            self = .replaced(before: Self.text(field.before), after: Self.text(field.after))
        }
    }

    private static func mapLines(old: [String: String], new: [String: String], sensitive: Set<String>) -> [MapLine] {
        let oldByName = Dictionary(old.map { ($0.key.lowercased(), ($0.key, $0.value)) }) { first, _ in first }
        let newByName = Dictionary(new.map { ($0.key.lowercased(), ($0.key, $0.value)) }) { first, _ in first }
        var lines: [MapLine] = []
        for name in Set(oldByName.keys).union(newByName.keys).sorted() {
            let hidden = sensitive.contains(name)
            func shown(_ value: String) -> String { hidden ? masked : quoted(value) }
            switch (oldByName[name], newByName[name]) {
            case (nil, let added?): lines.append(.added(HumanText.escape(added.0), shown(added.1)))
            case (let removed?, nil): lines.append(.removed(HumanText.escape(removed.0), shown(removed.1)))
            case (let before?, let after?) where before.1 != after.1:
                lines.append(hidden ? .changed(HumanText.escape(after.0), maskedChange, "")
                                    : .changed(HumanText.escape(after.0), quoted(before.1), quoted(after.1)))
            default: break
            }
        }
        return lines
    }

    static func text(_ value: FieldValue) -> String { value.shown }

    static func quoted(_ text: String) -> String { HumanText.quoted(text) }
}
