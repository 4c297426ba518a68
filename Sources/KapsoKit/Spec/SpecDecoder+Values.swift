/// A decoded value and where it was written.
struct Located<Value> {
    var value: Value
    var mark: Mark
}

/// A string read from the spec, `${VAR}` expanded.
struct SpecString {
    var value: String
    var mark: Mark
    /// The scalar as written, `${VAR}` references unexpanded.
    var template: String
    /// True when the value comes (in part) from the environment: it is then a secret.
    var fromEnvironment: Bool
    /// True when an unset variable was kept as written (`validate` without secrets): checks of
    /// the value's content are skipped, as the value is not known.
    var unresolved: Bool
}

/// Typed reading of the current node, reporting every problem into the decoder's diagnostics.
/// Each reader consumes the node and returns nil after reporting, so decoding carries on and all
/// errors of a file are found.
extension SpecDecoder {
    /// A string, with `${VAR}` expanded from the environment. When unset variables are allowed
    /// (`validate` without secrets), one that is unset is kept as written and noted once per name.
    mutating func string(_ what: String) throws(YAMLStop) -> SpecString? {
        guard kind == .scalar, !events.isNull else {
            try refuse(what, mustBe: "a string")
            return nil
        }
        let mark = events.mark
        let dollar = events.contains(UInt8(ascii: "$"))
        let text = events.text
        guard dollar else {
            return SpecString(value: text, mark: mark, template: text, fromEnvironment: false, unresolved: false)
        }
        // The same text expands the same way (the variables are fixed for the read): expanded once,
        // its unset references noted at every use.
        let result: Interpolation.Result
        if let known = caches.expansions[text] {
            result = known
        } else {
            do {
                result = try Interpolation.expand(text, variables: variables, allowUnset: unsetVariables == .note)
            } catch let failure {
                error(markOfOffset(failure.offset, text: text), failure.message)
                return nil
            }
            secretValues.formUnion(result.values)
            if caches.expansions.count < 256 { caches.expansions[text] = result }
        }
        for (name, offset) in result.unset {
            unsetReferences.append((name, markOfOffset(offset, text: text)))
        }
        return SpecString(value: result.text, mark: mark, template: result.template,
                          fromEnvironment: result.usedVariables, unresolved: !result.unset.isEmpty)
    }

    /// The position of a character offset inside the current scalar (whose text is `text`), exact
    /// for single-line plain and quoted scalars; the scalar's start otherwise.
    func markOfOffset(_ offset: Int, text: String) -> Mark {
        let mark = events.mark
        guard mark.line == events.endMark.line else { return mark }
        switch events.style {
        case .plain: return Mark(line: mark.line, column: mark.column + offset)
        case .singleQuoted where !text.contains("'"), .doubleQuoted where !text.contains("\\") && !text.contains("\""):
            return Mark(line: mark.line, column: mark.column + 1 + offset)
        default: return mark
        }
    }

    /// A plain `true` or `false`; YAML 1.1 spellings (`yes`, `on` ...) are refused by name.
    mutating func bool(_ what: String) throws(YAMLStop) -> Located<Bool>? {
        guard kind == .scalar, !events.isNull else {
            try refuse(what, mustBe: "true or false")
            return nil
        }
        let mark = events.mark
        guard events.isPlain else {
            error(mark, "\(what) must be true or false, not a quoted string")
            return nil
        }
        if events.scalarIs("true") { return Located(value: true, mark: mark) }
        if events.scalarIs("false") { return Located(value: false, mark: mark) }
        let text = events.text
        if SpecText.yaml11Booleans.contains(text.lowercased()) {
            error(mark, "\(what) must be true or false; '\(text)' is not accepted as a boolean (write true or false)")
        } else {
            error(mark, "\(what) must be true or false, not '\(SpecText.excerpt(text))'")
        }
        return nil
    }

    /// A plain decimal integer within `range`.
    mutating func integer(_ what: String, in range: ClosedRange<Int>) throws(YAMLStop) -> Located<Int>? {
        // Made only for a message (every webhook reads three integers).
        var expected: String { "an integer from \(range.lowerBound) to \(range.upperBound)" }
        guard kind == .scalar, !events.isNull else {
            try refuse(what, mustBe: expected)
            return nil
        }
        let mark = events.mark
        guard events.isPlain else {
            error(mark, "\(what) must be \(expected), not a quoted string")
            return nil
        }
        // Plain digits, the common case, read from the bytes.
        let digits: Int? = events.withBytes { bytes in
            guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
            var value = 0
            for byte in bytes {
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        let value: Int
        if let digits {
            value = digits
        } else {
            let text = events.text
            let unsigned = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            guard !unsigned.isEmpty, unsigned.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let parsed = Int(text) else {
                error(mark, "\(what) must be \(expected), not '\(SpecText.excerpt(text))'")
                return nil
            }
            value = parsed
        }
        guard range.contains(value) else {
            error(mark, "\(what) must be \(expected); \(value) is out of range")
            return nil
        }
        return Located(value: value, mark: mark)
    }

    /// A UUID, lowercased unless `keepCase`.
    mutating func uuid(_ what: String, keepCase: Bool = false) throws(YAMLStop) -> Located<String>? {
        guard let text = try string(what) else { return nil }
        guard SpecText.isUUID(text.value) else {
            error(text.mark, "\(what) must be a UUID like 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d")
            return nil
        }
        return Located(value: keepCase ? text.value : text.value.lowercased(), mark: text.mark)
    }

    /// Meta's id of a phone number: digits, plain or quoted.
    mutating func phoneNumberID() throws(YAMLStop) -> Located<String>? {
        guard kind == .scalar, !events.isNull else {
            try refuse("'phone_number_id'", mustBe: "Meta's id of the number (digits)")
            return nil
        }
        guard let text = try string("'phone_number_id'") else { return nil }
        if text.unresolved { return Located(value: text.value, mark: text.mark) }
        guard !text.value.isEmpty, text.value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), text.value.utf8.count <= 32 else {
            error(text.mark, "'phone_number_id' must be Meta's id of the number: digits only, like \"1234567890\" (not the display number)")
            return nil
        }
        return Located(value: text.value, mark: text.mark)
    }

    /// One of a few words.
    mutating func choice(_ what: String, _ words: [String]) throws(YAMLStop) -> Located<String>? {
        var expected: String { words.map { "'\($0)'" }.joined(separator: " or ") }
        guard kind == .scalar, !events.isNull else {
            try refuse(what, mustBe: expected)
            return nil
        }
        guard let word = words.first(where: { events.scalarIs($0) }) else {
            error(events.mark, "\(what) must be \(expected), not '\(SpecText.excerpt(events.text))'")
            return nil
        }
        return Located(value: word, mark: events.mark)
    }

    /// An event list (`events`, or `buffer_events` when `buffered`): known names (or the file's
    /// `extra_events`), each once; its items' positions go into `marks`.
    mutating func eventList(_ what: String, buffered: Bool, marks itemMarks: inout [Mark]) throws(YAMLStop) -> [String]? {
        guard kind == .sequenceStart else {
            try refuse(what, mustBe: "a list")
            return nil
        }
        let listMark = events.mark
        itemMarks.removeAll(keepingCapacity: true)
        var names: [String] = []
        swap(&names, &caches.names)
        names.removeAll(keepingCapacity: true)
        defer { swap(&names, &caches.names) }
        var valid = true
        var items = 0
        while true {
            try advance()
            if kind == .end { break }
            items += 1
            guard kind == .scalar, !events.isNull else {
                error(events.mark, "each item of \(what) must be an event name, not \(described)")
                try skip()
                valid = false
                continue
            }
            let mark = events.mark
            let known = events.index(in: SpecText.eventTable)
            let name = known.map { SpecText.eventTable[$0] } ?? events.text
            if let first = names.firstIndex(of: name) {
                let at = itemMarks[first]
                error(mark, "duplicate event '\(SpecText.excerpt(name))' in \(what); first listed at line \(at.line), column \(at.column)")
                valid = false
            } else if let problem = eventProblem(name, known: known, buffered: buffered) {
                error(mark, problem)
                valid = false
            }
            names.append(name)
            itemMarks.append(mark)
        }
        if !buffered && items == 0 {
            error(listMark, "'events' must list at least one event")
            return nil
        }
        return valid ? caches.list(names) : nil
    }

    /// Why an event name cannot be listed here, or nil. Under the Platform API, which scope may
    /// use an event is checked per webhook (``checkPlatformRules``).
    private func eventProblem(_ name: String, known: Int?, buffered: Bool) -> String? {
        let api = context.api
        if let known {
            if api == .legacy && known >= EventNames.configScope.count {
                return "event '\(name)' is only for project-scoped webhooks (Platform API); a WhatsApp config cannot subscribe to it"
            }
        } else if !context.extraEvents.contains(name) {
            let candidates = api == .legacy ? EventNames.configScope : EventNames.all
            return "unknown event '\(SpecText.excerpt(name))'\(Suggestion.hint(for: name, in: candidates + context.extraEvents))"
                + " (a new Kapso event goes in the top-level 'extra_events' list)"
        }
        if buffered && name != EventNames.bufferable {  // (compared only for buffer_events)
            return "only '\(EventNames.bufferable)' can be buffered, not '\(name)'"
        }
        return nil
    }

    /// `extra_events`: well-formed event names (lowercase words joined by dots, like
    /// `whatsapp.message.reacted`) that webhooks of this file may use though kapsoctl does not know them.
    mutating func newEventNames() throws(YAMLStop) -> [String] {
        guard kind == .sequenceStart else {
            try refuse("'extra_events'", mustBe: "a list")
            return []
        }
        var names: [String] = []
        while true {
            try advance()
            if kind == .end { return names }
            guard kind == .scalar, !events.isNull else {
                error(events.mark, "each item of 'extra_events' must be an event name, not \(described)")
                try skip()
                continue
            }
            let text = events.text
            guard EventNames.isWellFormed(text) else {
                error(events.mark, "'\(SpecText.excerpt(text))' is not a well-formed event name: lowercase letters, digits and '_' in two or more parts joined by dots, like 'whatsapp.message.received'")
                continue
            }
            names.append(text)
        }
    }

    /// An `ignore:` list: patterns written out (never from `${VAR}`: they decide what a plan
    /// shows), each checked by ``IgnorePattern/problem(_:)``.
    mutating func ignorePatterns() throws(YAMLStop) -> [IgnorePattern] {
        guard kind == .sequenceStart else {
            try refuse("'ignore'", mustBe: "a list")
            return []
        }
        var patterns: [IgnorePattern] = []
        while true {
            try advance()
            if kind == .end { return patterns }
            guard let text = try string("an 'ignore' pattern") else { continue }
            if text.fromEnvironment {
                error(text.mark, "an 'ignore' pattern must be written out, not taken from ${VAR}: it decides what the plan shows")
            } else if let problem = IgnorePattern.problem(text.value) {
                error(text.mark, problem)
            } else {
                patterns.append(IgnorePattern(text.value))
            }
        }
    }
}
