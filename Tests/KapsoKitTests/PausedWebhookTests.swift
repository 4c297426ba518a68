import Foundation
import Testing
@testable import KapsoKit

/// `active: false → true` is how a webhook Kapso paused looks: the plan says so on that line.
@Suite struct PausedWebhookTests {
    @Test func theResumingChangeCarriesTheNote() {
        #expect(FieldChange(name: "active", before: .bool(false), after: .bool(true)).note == FieldChange.pausedNote)
        #expect(FieldChange(name: "active", before: .bool(true), after: .bool(false)).note == nil)
        #expect(FieldChange(name: "buffer_enabled", before: .bool(false), after: .bool(true)).note == nil)
        #expect(FieldChange.pausedNote.contains("kapsoctl verify"))
    }
}
