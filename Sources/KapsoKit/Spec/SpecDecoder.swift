/// The spec decoder: reads one file's YAML events into declarations, checking every rule of the
/// spec format where it applies and collecting every problem (at file:line:column) rather than
/// stopping at the first. It is the only reader of spec files; the same code reads libyaml's events
/// straight from the file (``LibYAMLEvents``) and, for a file with aliases or merge keys, its
/// resolved tree replayed as events (``TreeEvents``).
///
/// A file's **context** — its generation (`api:`), its `extra_events` and its `defaults` — decides
/// how the rest is read. It is read where it is written; a file that writes part of it after
/// something that depended on it (`api: platform` at the end) is read again with the context it
/// ended with (``SpecFileReading``), so the order of keys never changes the result.
struct SpecDecoder<Events: YAMLEventSource> {
    let events: Events
    let source: SourceText
    let variables: SpecVariables
    /// Whether an unset `${VAR}` is an error or a note.
    let unsetVariables: UnsetVariables
    private(set) var diagnostics: [SpecDiagnostic] = []
    /// Every value substituted from the environment, so that outputs can mask it wherever it appears.
    var secretValues = Set<String>()
    /// Every unset variable's reference, when they are notes.
    var unsetReferences: [(name: String, mark: Mark)] = []
    /// The generation, extra events and defaults: as preset, then as read.
    private(set) var context: SpecContext
    /// What was read with the context as it stood: when the context changes afterwards, this
    /// reading is stale and the file is read again.
    private var used = ContextUse()
    private(set) var isStale = false
    /// The current event's kind.
    var kind = YAMLEventKind.streamEnd
    /// Positions of the webhook being read (reused from webhook to webhook).
    var marks = DraftMarks()
    /// Values repeated from webhook to webhook (an event list, a block of headers) are made once
    /// and shared: fewer allocations, and less memory for a large spec.
    var caches = DecoderCaches()

    init(events: Events, source: SourceText, variables: SpecVariables, unsetVariables: UnsetVariables, preset: SpecContext?) {
        self.events = events
        self.source = source
        self.variables = variables
        self.unsetVariables = unsetVariables
        context = preset ?? SpecContext()
    }

    mutating func error(_ mark: Mark, _ message: String) {
        diagnostics.append(source.diagnostic(at: mark, message))
    }

    /// Moves to the next event.
    mutating func advance() throws(YAMLStop) {
        kind = try events.next()
    }

    /// Consumes the rest of the node the current event starts.
    func skip() throws(YAMLStop) {
        try events.skipNode(kind)
    }

    /// The current node's kind, for "must be X, not Y" messages.
    var described: String {
        switch kind {
        case .scalar: events.isNull ? "null" : "a scalar"
        case .mappingStart: "a mapping"
        case .sequenceStart: "a list"
        case .alias, .end, .streamEnd: "nothing"
        }
    }

    /// Reports that the current node is not what `what` must be, and consumes it.
    mutating func refuse(_ what: String, mustBe expected: String) throws(YAMLStop) {
        error(events.mark, "\(what) must be \(expected), not \(described)")
        try skip()
    }

    // MARK: - The document

    /// The file's declarations, or nil when its top level is not a mapping.
    mutating func document() throws(YAMLStop) -> SpecFileContent? {
        try advance()
        if kind == .streamEnd { throw .problem(YAMLLoader.emptyFile) }
        guard kind == .mappingStart else {
            try refuse("the top level", mustBe: "a mapping starting with 'version: 1'")
            try advance()
            return nil
        }
        let top = events.mark
        var seen = SpecKeys.Seen()
        var scopes: [ScopeDecl] = []
        while true {
            try advance()
            if kind == .end { break }
            let keyMark = events.mark
            let key = events.index(in: SpecKeys.top)
            let name = key == nil ? events.text : ""
            try advance()
            guard let key else {
                if name.hasPrefix("x-") {
                    try skip()
                } else {
                    used.api = true
                    try skip()
                    unknownKey(name, at: keyMark, in: "the top level", allowed: SpecKeys.topLevel(for: context.api))
                }
                continue
            }
            seen.insert(key)
            switch SpecKeys.top[key] {
            case "version":
                if let version = try integer("'version'", in: 1...Int.max), version.value != 1 {
                    error(version.mark, "'version' must be 1 (the only spec version that exists)")
                }
            case "api":
                try readAPI()
            case "extra_events":
                let names = try newEventNames()
                if used.extraEvents && names != context.extraEvents { isStale = true }
                context.extraEvents = names
            case "defaults":
                used.api = true
                used.extraEvents = true
                let readWith = context.fingerprint
                let draft = try webhook(isDefaults: true)
                if used.defaults && context.defaultsReadWith != readWith { isStale = true }
                context.defaults = draft.map { Defaults(draft: $0, marks: marks) }
                context.defaultsReadWith = readWith
            default:
                used.api = true
                used.extraEvents = true
                used.defaults = true
                let scopeKey = SpecKeys.top[key]
                if let reason = SpecKeys.wrongGeneration(scopeKey, for: context.api) {
                    error(keyMark, reason)
                    try skip()
                } else if scopeKey == "project" {
                    if let project = try scopeEntry(.project) { scopes.append(project) }
                } else {
                    scopes += try scopeList(scopeKey == "configs" ? .config : .phoneNumber, "'\(scopeKey)'")
                }
            }
        }
        if !seen.contains("version", of: SpecKeys.top) {
            error(top, "missing required key 'version'; add 'version: 1'")
        }
        switch context.api {
        case .legacy where !seen.contains("configs", of: SpecKeys.top):
            error(top, "missing required key 'configs' (a list of WhatsApp configs and their webhooks)")
        case .platform where !seen.contains("phone_numbers", of: SpecKeys.top) && !seen.contains("project", of: SpecKeys.top):
            error(top, "missing key 'phone_numbers' or 'project': a platform spec declares webhooks per phone number, for the project, or both")
        default:
            break
        }
        try advance()
        return SpecFileContent(api: context.api, apiMark: context.apiMark, scopes: scopes, secretValues: secretValues)
    }

    /// `api:`: the file's generation.
    private mutating func readAPI() throws(YAMLStop) {
        guard let text = try string("'api'") else { return }
        context.apiMark = text.mark
        guard let generation = APIGeneration(rawValue: text.value) else {
            error(text.mark, "'api' must be 'legacy' or 'platform', not '\(SpecText.excerpt(text.value))'")
            return
        }
        if used.api && generation != context.api { isStale = true }
        context.api = generation
    }

    /// An unknown key: reported with a "did you mean" hint, or the keys allowed.
    mutating func unknownKey(_ key: String, at mark: Mark, in context: String, allowed: [String]) {
        let hint = Suggestion.closest(to: key, in: allowed).map { "did you mean '\($0)'?" }
            ?? "expected one of: \(allowed.joined(separator: ", "))"
        error(mark, "unknown key '\(SpecText.excerpt(key))' in \(context); \(hint)")
    }
}

/// What decides how a file's webhooks are read: its generation, the new events it declares and
/// its `defaults` (with the positions of their values, for messages about inherited ones).
struct SpecContext {
    var api = APIGeneration.legacy
    var apiMark: Mark?
    var extraEvents: [String] = []
    var defaults: Defaults?
    /// The generation and extra events `defaults` was read with: a reading with others differs.
    var defaultsReadWith: Fingerprint?

    struct Fingerprint: Equatable {
        var api: APIGeneration
        var extraEvents: [String]
    }

    var fingerprint: Fingerprint { Fingerprint(api: api, extraEvents: extraEvents) }
}

/// The parts of the context a reading used before they were final.
struct ContextUse {
    var api = false
    var extraEvents = false
    var defaults = false
}

/// The `defaults` block as read.
struct Defaults {
    var draft: WebhookDraft
    var marks: DraftMarks
}

/// Reads a file with ``SpecDecoder``: from libyaml's events, or from the resolved tree when the
/// file uses aliases or merge keys; again with the final context when the first reading used a
/// context that changed later in the file.
enum SpecFileReading {
    struct Outcome {
        var content: SpecFileContent?
        var diagnostics: [SpecDiagnostic]
        var unset: [(name: String, mark: Mark)]
    }

    static func read(_ source: SourceText, variables: SpecVariables, unsetVariables: UnsetVariables, limits: YAMLLimits) -> Outcome {
        func failure(_ problem: YAMLProblem) -> Outcome {
            Outcome(content: nil, diagnostics: [source.syntaxDiagnostic(at: problem.mark, problem.message)], unset: [])
        }
        if source.bytes.count > limits.maxBytes {
            return failure(YAMLProblem(mark: Mark(line: 1, column: 1),
                                       message: "file is \(source.bytes.count) bytes; the limit is \(limits.maxBytes) bytes"))
        }
        // libyaml reads the source's own bytes (no copy), which live while this runs.
        let streamed = source.bytes.withUnsafeBufferPointer { bytes in
            Result<Outcome, YAMLStop> { () throws(YAMLStop) in
                try passes(source, variables, unsetVariables) { LibYAMLEvents(bytes, limits: limits, mode: .stream) }
            }
        }
        switch streamed {
        case .success(let outcome):
            return outcome
        case .failure(.problem(let problem)):
            return failure(problem)
        case .failure(.needsTree):
            let document: YAMLDocument
            do {
                document = try YAMLLoader.load(source.bytes, limits: limits)
            } catch {
                return failure(error)
            }
            do {
                return try passes(source, variables, unsetVariables) { TreeEvents(document.root, problems: document.problems) }
            } catch {
                // A replayed tree has no alias left to resolve: a problem is all it can stop at.
                guard case .problem(let problem) = error else { return failure(YAMLProblem(mark: Mark(line: 1, column: 1), message: "the file could not be read")) }
                return failure(problem)
            }
        }
    }

    /// At most three readings: the context's generation and extra events are settled by the
    /// first, `defaults` (read with them) by the second.
    private static func passes<Events: YAMLEventSource>(_ source: SourceText, _ variables: SpecVariables, _ unsetVariables: UnsetVariables,
                                                        _ make: () -> Events) throws(YAMLStop) -> Outcome {
        var preset: SpecContext?
        for pass in 1...3 {
            var decoder = SpecDecoder(events: make(), source: source, variables: variables, unsetVariables: unsetVariables, preset: preset)
            let content = try decoder.document()
            if decoder.isStale && pass < 3 {
                preset = decoder.context
                continue
            }
            let problems = decoder.events.problems.map { source.diagnostic(at: $0.mark, $0.message) }
            return Outcome(content: content, diagnostics: problems + decoder.diagnostics, unset: decoder.unsetReferences)
        }
        return Outcome(content: nil, diagnostics: [], unset: [])
    }
}
