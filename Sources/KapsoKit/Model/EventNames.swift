/// Kapso's webhook event names and where each may be used: the catalogue of 27 (Kapso's webhooks
/// reference and its generated clients agree name for name; `../shared/KAPSO_API.md`). A name Kapso
/// adds after these goes in a spec's `extra_events`.
public enum EventNames {
    /// Events of a WhatsApp config / phone number (the legacy API's configs take these too).
    public static let configScope: [String] = [
        "whatsapp.message.received",
        "whatsapp.message.sent",
        "whatsapp.message.delivered",
        "whatsapp.message.read",
        "whatsapp.message.failed",
        "whatsapp.conversation.created",
        "whatsapp.conversation.ended",
        "whatsapp.conversation.inactive",
        "whatsapp.contact.identity_changed",
        "whatsapp.contact.marketing_preference_changed",
    ]

    /// Events only a project-scoped webhook of the Platform API may subscribe to.
    public static let projectScope: [String] = [
        "whatsapp.phone_number.created",
        "whatsapp.phone_number.deleted",
        "whatsapp.phone_number.offboarded",
        "whatsapp.phone_number.disconnected",
        "whatsapp.phone_number.reconnected",
        "whatsapp.account.disabled",
        "whatsapp.account.restricted",
        "whatsapp.account.reinstated",
        "whatsapp.account.violation",
        "workflow.execution.handoff",
        "workflow.execution.failed",
        "project.event",
        "kapso_agent.run.approval_required",
        "kapso_agent.run.completed",
        "kapso_agent.run.failed",
        "kapso_agent.run.cancelled",
        "whatsapp.config.created",
    ]

    /// Events Kapso sends only in the v2 payload: a webhook with `payload_version: v1` cannot take them.
    public static let payloadV2Only: Set<String> = [
        "whatsapp.phone_number.offboarded",
        "whatsapp.phone_number.disconnected",
        "whatsapp.phone_number.reconnected",
    ]

    /// Every event name, of either scope.
    public static let all: [String] = configScope + projectScope

    /// The shape of every event name: two or more parts of lowercase letters, digits and `_`
    /// joined by dots, the first starting with a letter; at most 100 characters.
    public static func isWellFormed(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= 100, parts.count >= 2, let first = name.utf8.first, first >= 97, first <= 122 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "_") }
        }
    }

    /// The only event that can be buffered.
    public static let bufferable = "whatsapp.message.received"
}
