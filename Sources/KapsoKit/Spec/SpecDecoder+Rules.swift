/// The rules across a webhook's attributes, checked once it is read and merged over `defaults`:
/// the Platform API's (events by scope, what `kind: meta` excludes) and `buffer_events ⊆ events`.
extension SpecDecoder {
    /// The webhook over the defaults, checked, as the planner's value; nil without a URL.
    mutating func finish(_ own: consuming WebhookDraft, project: Bool) -> DesiredWebhook? {
        // What the webhook wrote itself, kept aside: the draft is then merged in place (a copy
        // would copy its attribute storage too, for every webhook).
        let declared = own.declared
        let ownHeaders = own.headers
        var draft = own
        var inherited = AttributeSet()
        let defaults = context.defaults
        if let defaults {
            let base = defaults.draft
            let kindValue = draft.values[ordinal: DecodingRows.kind] ?? base.values[ordinal: DecodingRows.kind]
            let meta = kindValue?.string == "meta"
            for ordinal in 0..<DecodingRows.kinds.count where base.declared.contains(ordinal: ordinal) {
                if meta && DecodingRows.notForMeta.contains(ordinal: ordinal) { continue }
                if !declared.contains(ordinal: ordinal) {
                    draft.values[ordinal: ordinal] = base.values[ordinal: ordinal]
                    draft.declared.insert(ordinal: ordinal)
                    inherited.insert(ordinal: ordinal)
                    if ordinal == DecodingRows.secretKey { draft.secretTemplate = base.secretTemplate }
                    if ordinal == DecodingRows.headers { draft.headers = base.headers }
                } else if ordinal == DecodingRows.headers {
                    draft.headers = caches.merge(ownHeaders, over: base.headers)
                    draft.values[ordinal: ordinal] = draft.headers.value
                }
            }
        }
        /// Where an attribute's items are written: in the webhook, or in `defaults` when inherited.
        func items(_ ordinal: Int) -> [Mark] {
            inherited.contains(ordinal: ordinal) ? defaults?.marks.items(ordinal) ?? [] : marks.items(ordinal)
        }
        if context.api == .platform {
            checkPlatformRules(draft, own: declared, inherited: inherited, project: project, eventMarks: items(DecodingRows.events))
        }
        // A buffered event must be one the webhook subscribes to.
        if let buffered = draft.values[ordinal: DecodingRows.bufferEvents]?.list, let subscribed = draft.values[ordinal: DecodingRows.events]?.list,
           !buffered.allSatisfy(subscribed.contains) {
            let bufferedMarks = items(DecodingRows.bufferEvents)
            for (index, event) in buffered.enumerated() where !subscribed.contains(event) {
                error(bufferedMarks[index], "buffer_events lists '\(event)', which is not in this webhook's 'events'")
            }
        }
        guard draft.declared.contains(ordinal: DecodingRows.url) else { return nil }
        var attributes = draft.values
        if let recent = caches.attributes, attributes.shareStorage(with: recent) {} else { caches.attributes = attributes }
        return DesiredWebhook(
            id: draft.id, attributes: attributes, sensitiveHeaders: draft.headers.sensitive,
            secretTemplates: SecretTemplates(secretKey: draft.secretTemplate, headers: draft.headers.templates, url: draft.urlTemplate),
            inheritedAttributes: inherited,
            location: SourceLocation(file: source.path, line: draft.mark.line, column: draft.mark.column))
    }

    /// Events by scope (a project webhook takes only project events, a number's none of them),
    /// and what a `meta` webhook cannot take.
    private mutating func checkPlatformRules(_ draft: WebhookDraft, own: AttributeSet, inherited: AttributeSet, project: Bool, eventMarks: [Mark]) {
        let from = inherited.contains(.events) ? " (from 'defaults')" : ""
        for (index, event) in (draft.values[ordinal: DecodingRows.events]?.list ?? []).enumerated() {
            if project, !EventNames.projectScope.contains(event), !context.extraEvents.contains(event) {
                error(eventMarks[index], "event '\(event)'\(from) is for a phone number's webhooks; a project webhook takes only project events: \(EventNames.projectScope.joined(separator: ", "))")
            } else if !project, EventNames.projectScope.contains(event) {
                error(eventMarks[index], "event '\(event)'\(from) is only for project webhooks; declare this webhook under 'project' to subscribe to it")
            } else if EventNames.payloadV2Only.contains(event), draft.values[ordinal: DecodingRows.payloadVersion]?.string == "v1" {
                let version = inherited.contains(ordinal: DecodingRows.payloadVersion) ? "'payload_version: v1' (from 'defaults')" : "'payload_version: v1'"
                error(eventMarks[index], "event '\(event)'\(from) is sent only in the v2 payload, and this webhook has \(version); remove it or use v2 (the default)")
            }
        }
        guard draft.values[ordinal: DecodingRows.kind]?.string == "meta" else { return }
        if project {
            let kindMark = inherited.contains(ordinal: DecodingRows.kind) ? context.defaults?.marks[DecodingRows.kind] ?? draft.mark : marks[DecodingRows.kind]
            error(kindMark, "'kind: meta' is for a phone number's webhook (it receives that number's raw Meta payload); a project webhook is 'kapso'")
        }
        for attribute in Attribute.all where Attribute.notForMeta.contains(attribute) && own.contains(attribute) {
            error(marks[attribute.ordinal], "a 'meta' webhook receives Meta's raw payload: it takes no '\(attribute.name)' (no event filter, buffering or payload version)")
        }
    }
}
