import Foundation

/// Reads spec files (`-f` paths: files or directories), decodes each and merges their configs.
public enum SpecLoader {
    /// Loads every path; throws every problem of every file at once. `unsetVariables: .note` lets
    /// an unset `${VAR}` pass as a note (`validate` without secrets); the state is then for
    /// counting, not planning. `plainVariables` (`--var`) are not secret: substituted as if
    /// written in the spec.
    public static func load(paths: [String], environment: [String: String], plainVariables: [String: String] = [:],
                            unsetVariables: UnsetVariables = .error) throws(SpecFailure) -> DesiredState {
        var diagnostics: [SpecDiagnostic] = []
        var sources: [SourceText] = []
        for path in paths {
            switch expand(path) {
            case .success(let files):
                for file in files {
                    switch read(file) {
                    case .success(let source): sources.append(source)
                    case .failure(let problem): diagnostics.append(problem)
                    }
                }
            case .failure(let problem):
                diagnostics.append(problem)
            }
        }
        do {
            let state = try load(sources: sources, environment: environment, plainVariables: plainVariables, unsetVariables: unsetVariables)
            if diagnostics.isEmpty { return state }
        } catch {
            diagnostics += error.diagnostics
        }
        throw SpecFailure(diagnostics)
    }

    /// Decodes in-memory sources (used by `load(paths:)` and by tests).
    static func load(sources: [SourceText], environment: [String: String], plainVariables: [String: String] = [:],
                     unsetVariables: UnsetVariables = .error, limits: YAMLLimits = .standard) throws(SpecFailure) -> DesiredState {
        var diagnostics: [SpecDiagnostic] = []
        var unset: [(name: String, mark: Mark, source: SourceText)] = []
        var contents: [(SourceText, SpecFileContent)] = []
        let variables = SpecVariables(environment: environment, plain: plainVariables)
        for source in sources {
            let outcome = SpecFileReading.read(source, variables: variables, unsetVariables: unsetVariables, limits: limits)
            unset += outcome.unset.map { ($0.name, $0.mark, source) }
            // An anchored value used twice is reported once.
            var seen = Set<String>()
            diagnostics += outcome.diagnostics.filter { seen.insert($0.description).inserted }
                .sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            if let content = outcome.content { contents.append((source, content)) }
        }
        // One run speaks one generation: files that disagree are an error at each `api:` that differs.
        let api = contents.first?.1.api ?? .legacy
        if let (firstSource, _) = contents.first {
            for (source, content) in contents.dropFirst() where content.api != api {
                diagnostics.append(source.diagnostic(at: content.apiMark ?? Mark(line: 1, column: 1),
                    "this file is for 'api: \(content.api.rawValue)' but \(firstSource.path) is for 'api: \(api.rawValue)'; one run manages one API generation, so plan them separately"))
            }
        }
        var merger = ConfigMerger()
        for (source, content) in contents {
            merger.add(content, from: source)
        }
        diagnostics += merger.diagnostics
        guard diagnostics.isEmpty else { throw SpecFailure(diagnostics) }
        var state = DesiredState(api: api, configs: merger.configs,
                                 secretValues: contents.reduce(into: Set<String>()) { $0.formUnion($1.1.secretValues) },
                                 sources: sources.map { SpecSource(path: $0.path, bytes: $0.bytes) })
        state.notes = unsetNotes(unset)
        return state
    }

    /// One note per unset variable, at its first use, counting the others. Only the first use
    /// becomes a diagnostic (quoting its line): a fork's pull request, without the secrets, reads
    /// a spec whose every webhook uses them.
    static func unsetNotes(_ references: [(name: String, mark: Mark, source: SourceText)]) -> [SpecDiagnostic] {
        var uses: [String: Int] = [:]
        for reference in references { uses[reference.name, default: 0] += 1 }
        var told = Set<String>()
        return references.compactMap { reference in
            guard told.insert(reference.name).inserted else { return nil }
            let more = uses[reference.name, default: 1] - 1
            return reference.source.diagnostic(at: reference.mark, "environment variable \(reference.name) is not set; plan and apply will need it"
                + (more > 0 ? " (used \(more) more time\(more == 1 ? "" : "s"))" : ""), severity: .note)
        }
    }

    /// The files `paths` name (directories expanded), for callers that must not overwrite them.
    public static func files(paths: [String]) -> [String] {
        paths.flatMap { (try? expand($0).get()) ?? [$0] }
    }

    /// A path as files: the file itself, or a directory's `*.yaml`/`*.yml` in sorted order.
    static func expand(_ path: String) -> Result<[String], SpecDiagnostic> {
        guard path != standardInput else { return .success([path]) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(SpecDiagnostic(file: path, line: 0, column: 0, message: "no such file or directory"))
        }
        guard isDirectory.boolValue else { return .success([path]) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let specs = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !specs.isEmpty else {
            return .failure(SpecDiagnostic(file: path, line: 0, column: 0, message: "the directory holds no *.yaml or *.yml file"))
        }
        let base = path.hasSuffix("/") ? path : path + "/"
        return .success(specs.map { base + $0 })
    }

    /// Why `path` may not be read, or nil: when reaching it follows a symbolic link, the file it
    /// reaches must be inside the directory tree the run was started in. A spec can come from a
    /// pull request, and a link in it could otherwise make kapsoctl read (and quote, in an error)
    /// any file of the machine — a credentials file, `.git/config`. Kubernetes ConfigMap mounts
    /// (links into the mount's own `..data`) work when the run starts in or above the mount.
    static func symlinkProblem(_ path: String, workingDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        guard let resolved = realPath(path), let base = realPath(workingDirectory) else { return nil }
        let absolute = path.hasPrefix("/") ? path : base + "/" + path
        let lexical = URL(fileURLWithPath: absolute).standardized.path
        guard resolved != lexical else { return nil }
        if resolved == base || resolved.hasPrefix(base == "/" ? "/" : base + "/") { return nil }
        return "it is a symbolic link (or reached through one) to a file outside the directory the run was started in; "
            + "kapsoctl follows links only within that directory, so a spec cannot point it at another file of the machine"
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `-f -`: the spec on standard input, named so in diagnostics.
    public static let standardInput = "-"
    public static let standardInputName = "<stdin>"

    /// The bytes of a regular file no larger than the loader accepts (or of standard input, for `-`).
    static func read(_ path: String, limits: YAMLLimits = .standard) -> Result<SourceText, SpecDiagnostic> {
        guard path != standardInput else { return readAll(STDIN_FILENO, path: standardInputName, sizeHint: 0, limits: limits) }
        func failure(_ message: String) -> Result<SourceText, SpecDiagnostic> {
            .failure(SpecDiagnostic(file: path, line: 0, column: 0, message: message))
        }
        if let problem = symlinkProblem(path) { return failure(problem) }
        // stat follows symbolic links (ConfigMap mounts, shared files): the target must be regular.
        var info = stat()
        guard stat(path, &info) == 0 else {
            return failure("cannot read the file: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return failure("not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= limits.maxBytes else {
            return failure("the file is \(size) bytes; the limit is \(limits.maxBytes) bytes")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return failure("cannot open the file: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return readAll(fd, path: path, sizeHint: size, limits: limits)
    }

    /// Everything `fd` holds, up to the loader's limit.
    static func readAll(_ fd: Int32, path: String, sizeHint size: Int, limits: YAMLLimits) -> Result<SourceText, SpecDiagnostic> {
        func failure(_ message: String) -> Result<SourceText, SpecDiagnostic> {
            .failure(SpecDiagnostic(file: path, line: 0, column: 0, message: message))
        }
        // Straight into the array the decoder reads (no second copy of a large file, no zeroing
        // first), and at most one byte past the limit, in case the file grew since it was measured.
        var bytes: [UInt8] = []
        var readError: Int32 = 0
        var ended = false
        var chunk = min(limits.maxBytes + 1, max(size, 0) + 4096)
        while !ended && readError == 0 && chunk > 0 {
            let part = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, count in
                count = 0
                while count < buffer.count {
                    let got = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                    if got < 0 {
                        if errno == EINTR { continue }
                        readError = errno
                        return
                    }
                    if got == 0 {
                        ended = true
                        return
                    }
                    count += got
                }
            }
            if bytes.isEmpty { bytes = part } else { bytes += part }
            // Full: the file grew since it was measured; read on, up to one byte past the limit.
            chunk = min(limits.maxBytes + 1 - bytes.count, max(bytes.count, 4096))
        }
        let count = bytes.count
        guard readError == 0 else { return failure("cannot read the file: \(String(cString: strerror(readError)))") }
        guard count <= limits.maxBytes else {
            return failure("the file is larger than the limit of \(limits.maxBytes) bytes")
        }
        return .success(SourceText(path: path, bytes: bytes))
    }
}

/// Merges the scopes (configs, phone numbers, the project) of several files, or of several entries
/// of one file. Webhooks whose identity collides are reported at both places, as is a second
/// `meta` webhook on one number.
struct ConfigMerger {
    private struct Entry {
        var config: DesiredConfig
        var namePlace: (String, SourceLocation)?
        var prunePlace: (Bool, SourceLocation)?
        var keys: [WebhookIdentity: SourceLocation]
        var meta: SourceLocation?
    }

    private var sources: [String: SourceText] = [:]
    private var entries: [String: Entry] = [:]
    private(set) var diagnostics: [SpecDiagnostic] = []

    var configs: [DesiredConfig] {
        entries.values.map(\.config).sorted { $0.scope < $1.scope }
    }

    mutating func add(_ content: SpecFileContent, from source: SourceText) {
        sources[source.path] = source
        for decl in content.scopes {
            add(decl, from: source)
        }
    }

    private mutating func add(_ decl: ScopeDecl, from source: SourceText) {
        func location(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: source.path, line: mark.line, column: mark.column)
        }
        // One config whatever the case of its id; requests use the id as first written.
        let key = decl.scope.mergeKey
        // Taken out while it changes (no copy of its webhooks), put back at the end.
        var entry = entries.removeValue(forKey: key) ?? Entry(
            config: DesiredConfig(scope: decl.scope, name: nil, prune: false, webhooks: [], location: location(decl.mark)),
            namePlace: nil, prunePlace: nil, keys: [:])
        let what = decl.scope.description
        if let name = decl.name {
            if let (first, place) = entry.namePlace, first != name.value {
                diagnostics.append(source.diagnostic(at: name.mark, "\(what) is named '\(SpecText.excerpt(first))' at \(place); one \(Self.noun(decl.scope)) has one name"))
            } else {
                entry.namePlace = (name.value, location(name.mark))
                entry.config.name = name.value
            }
        }
        if let prune = decl.prune {
            if let (first, place) = entry.prunePlace, first != prune.value {
                diagnostics.append(source.diagnostic(at: prune.mark, "\(what) has 'prune: \(first)' at \(place); the entries of one \(Self.noun(decl.scope)) must agree"))
            } else {
                entry.prunePlace = (prune.value, location(prune.mark))
                entry.config.prune = prune.value
            }
        }
        for pattern in decl.ignore where !entry.config.ignore.contains(pattern) {
            entry.config.ignore.append(pattern)
        }
        // The declaration's list is taken whole (not webhook by webhook) unless one is left out.
        var kept: [DesiredWebhook]?
        entry.keys.reserveCapacity(entry.keys.count + decl.webhooks.count)
        for (index, webhook) in decl.webhooks.enumerated() {
            let identity = webhook.identity
            var leftOut = false
            if let first = entry.keys[identity] {
                let message = "two webhooks of \(what) have the same \(identity)"
                diagnostics.append(SpecDiagnostic(file: first.file, line: first.line, column: first.column,
                                                  message: "\(message); the other is at \(webhook.location)",
                                                  sourceLine: sources[first.file]?.line(first.line)))
                diagnostics.append(source.diagnostic(at: Mark(line: webhook.location.line, column: webhook.location.column),
                                                     "\(message); the other is at \(first)"))
                leftOut = true
            } else if webhook.attributes[.kind] == "meta" {
                if let first = entry.meta {
                    diagnostics.append(source.diagnostic(at: Mark(line: webhook.location.line, column: webhook.location.column),
                        "\(what) has a 'meta' webhook already, at \(first); a number has at most one (it receives the number's raw Meta payload)"))
                    leftOut = true
                } else {
                    entry.meta = webhook.location
                }
            }
            if leftOut {
                if kept == nil { kept = Array(decl.webhooks[..<index]) }
                continue
            }
            entry.keys[identity] = webhook.location
            kept?.append(webhook)
        }
        let adding = kept ?? decl.webhooks
        if entry.config.webhooks.isEmpty {
            entry.config.webhooks = adding
        } else {
            entry.config.webhooks += adding
        }
        entries[key] = entry
    }

    private static func noun(_ scope: WebhookScope) -> String {
        switch scope {
        case .config: "config"
        case .phoneNumber: "phone number"
        case .project: "project"
        }
    }
}
