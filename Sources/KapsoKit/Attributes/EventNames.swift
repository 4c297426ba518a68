/// Kapso's webhook event names and where each may be used.
public enum EventNames {
    /// Events of a WhatsApp config / phone number: the only ones the legacy API knows.
    public static let configScope: [String] = [
        "whatsapp.message.received",
        "whatsapp.message.sent",
        "whatsapp.message.delivered",
        "whatsapp.message.read",
        "whatsapp.message.failed",
        "whatsapp.conversation.created",
        "whatsapp.conversation.ended",
        "whatsapp.conversation.inactive",
    ]

    /// Events only a project-scoped webhook of the Platform API may subscribe to.
    public static let projectScope: [String] = [
        "whatsapp.phone_number.created",
        "whatsapp.phone_number.deleted",
        "workflow.execution.handoff",
        "workflow.execution.failed",
        "project.event",
        "whatsapp.config.created",
    ]

    /// Every event name, of either scope.
    public static let all: [String] = configScope + projectScope

    /// The only event that can be buffered.
    public static let bufferable = "whatsapp.message.received"
}
