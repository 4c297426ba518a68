/// Reading an attribute's value from a spec, by its kind.
extension SpecFileDecoder {
    /// One attribute's value from its node, checked by its kind's spec rules; nil after reporting.
    mutating func declared(_ attribute: Attribute, _ node: YAMLNode) -> DeclaredValue? {
        let what = "'\(attribute.name)'"
        switch attribute.kind {
        case .url:
            guard let url = string(node, what) else { return nil }
            if !url.unresolved, let problem = Self.urlProblem(url.value) {
                error(url.mark, problem)
                return nil
            }
            return DeclaredValue(value: .string(url.value), mark: url.mark, template: url.template, fromEnvironment: url.fromEnvironment)
        case .secret:
            guard let secret = string(node, what) else { return nil }
            guard !secret.value.isEmpty else {
                error(secret.mark, "\(what) must not be empty")
                return nil
            }
            return DeclaredValue(value: .string(secret.value), mark: secret.mark, template: secret.template, fromEnvironment: secret.fromEnvironment)
        case .events(let buffered):
            guard let list = events(node, what, buffered: buffered) else { return nil }
            return DeclaredValue(value: .list(list.value.map(\.value)), mark: list.mark, items: list.value)
        case .boolean:
            return bool(node, what).map { DeclaredValue(value: .bool($0.value), mark: $0.mark) }
        case .integer(let range):
            return integer(node, what, in: range).map { DeclaredValue(value: .int($0.value), mark: $0.mark) }
        case .choice(let words):
            guard case .scalar(let scalar) = node, !scalar.isNull else {
                error(node.mark, "\(what) must be \(words.map { "'\($0)'" }.joined(separator: " or ")), not \(node.kindDescription)")
                return nil
            }
            guard words.contains(scalar.text) else {
                error(scalar.mark, "\(what) must be \(words.map { "'\($0)'" }.joined(separator: " or ")), not '\(Self.excerpt(scalar.text))'")
                return nil
            }
            return DeclaredValue(value: .string(scalar.text), mark: scalar.mark)
        case .headers:
            guard let list = headers(node) else { return nil }
            return DeclaredValue(value: .map(Dictionary(list.value.map { ($0.name, $0.value) }) { _, last in last }),
                                 mark: list.mark, headers: list.value)
        }
    }
}

/// The Platform API's rules on a merged webhook: events by scope, and what `kind: meta` excludes.
extension SpecFileDecoder {
    mutating func checkPlatformRules(_ decl: WebhookDecl, scope: WebhookScope) {
        for event in decl[.events]?.items ?? [] {
            let inherited = decl.inherited.contains(.events) ? " (from 'defaults')" : ""
            if scope == .project, !EventNames.projectScope.contains(event.value), !extraEvents.contains(event.value) {
                error(event.mark, "event '\(event.value)'\(inherited) is for a phone number's webhooks; a project webhook takes only project events: \(EventNames.projectScope.joined(separator: ", "))")
            } else if scope != .project, EventNames.projectScope.contains(event.value) {
                error(event.mark, "event '\(event.value)'\(inherited) is only for project webhooks; declare this webhook under 'project' to subscribe to it")
            }
        }
        guard let kind = decl[.kind], kind.value == "meta" else { return }
        if scope == .project {
            error(kind.mark, "'kind: meta' is for a phone number's webhook (it receives that number's raw Meta payload); a project webhook is 'kapso'")
        }
        for attribute in Attribute.all where WebhookDecl.notForMeta.contains(attribute) {
            guard let own = decl[attribute], !decl.inherited.contains(attribute) else { continue }
            error(own.mark, "a 'meta' webhook receives Meta's raw payload: it takes no '\(attribute.name)' (no event filter, buffering or payload version)")
        }
    }
}
