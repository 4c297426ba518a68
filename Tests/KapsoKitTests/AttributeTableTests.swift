import Foundation
import Testing
@testable import KapsoKit

/// Every row of the attribute table works through every consumer: the spec decoder, the wire
/// (encode, lenient read, the simulator's check), the planner (create, compare, PATCH body) and
/// export. A new row is covered by adding it to the table; a new kind needs an example here.
@Suite struct AttributeTableTests {
    /// A valid value of each kind, as YAML and as the value it decodes to, and a second value that
    /// differs from it.
    static func example(_ kind: AttributeKind) -> (yaml: String, value: FieldValue, other: FieldValue) {
        switch kind {
        case .url: ("https://hooks.example.com/a", "https://hooks.example.com/a", "https://hooks.example.com/b")
        case .secret: ("s3cret", "s3cret", "another")
        case .events(let buffered):
            buffered ? ("[whatsapp.message.received]", ["whatsapp.message.received"], [])
                : ("[whatsapp.message.received]", ["whatsapp.message.received"], ["whatsapp.message.sent"])
        case .boolean: ("true", true, false)
        case .integer(let range): ("\(range.lowerBound)", .int(range.lowerBound), .int(range.upperBound))
        case .headers: ("{X-Team: blue}", ["X-Team": "blue"], ["X-Team": "red"])
        case .choice(let words): (words[0], .string(words[0]), .string(words[1]))
        }
    }

    /// The generation whose webhooks have the attribute (`kind` and `payload_version`: Platform),
    /// and a scope of it.
    static func home(_ attribute: Attribute) -> (api: APIGeneration, scope: WebhookScope) {
        Attribute.table(for: .legacy).contains(attribute) ? (.legacy, .config(configA)) : (.platform, .phoneNumber("1234567890"))
    }

    @Test(arguments: Attribute.all)
    func everyAttributeIsDecodedFromASpec(_ attribute: Attribute) throws {
        let (yaml, value, _) = Self.example(attribute.kind)
        var lines = Self.home(attribute).api == .legacy
            ? "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: https://hooks.example.com/a\n"
            : "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1234567890\"\n    webhooks:\n      - url: https://hooks.example.com/a\n"
        // Buffered events must be among the webhook's events, and only buffer while buffering.
        if attribute == .bufferEvents { lines += "        events: [whatsapp.message.received]\n" }
        if attribute != .url { lines += "        \(attribute.name): \(yaml)\n" }
        let hook = try loadSpec(lines).get().configs[0].webhooks[0]
        #expect(hook.attributes[attribute] == value)
    }

    @Test(arguments: Attribute.all)
    func everyAttributeCrossesTheWire(_ attribute: Attribute) throws {
        let (_, value, _) = Self.example(attribute.kind)
        let body = WebhookAttributes([attribute: value])
        let json = try JSONValue.parse(JSONEncoder().encode(body))
        #expect(json == .object([attribute.name: value.json]))
        #expect(try JSONDecoder().decode(WebhookAttributes.self, from: json.serialized()) == body)
        #expect((try? attribute.kind.check(value.json, name: attribute.name).get()) == value)
        #expect(attribute.kind.read(value.json) == value)
        if let serverDefault = attribute.serverDefault {
            #expect((try? attribute.kind.check(serverDefault.json, name: attribute.name).get()) == serverDefault)
        }
    }

    @Test(arguments: Attribute.all)
    func everyAttributeIsPlanned(_ attribute: Attribute) throws {
        let (_, value, other) = Self.example(attribute.kind)
        // What a create needs (the required attributes), buffering on, and the attribute under test.
        var desired = WebhookAttributes([.bufferEnabled: true])
        for required in Attribute.all where required.requiredOnCreate { desired[required] = Self.example(required.kind).value }
        desired[attribute] = value
        let hook = DesiredWebhook(id: nil, attributes: desired, sensitiveHeaders: [], secretTemplates: SecretTemplates(),
                                  inheritedAttributes: [], location: SourceLocation(file: "spec.yaml", line: 1, column: 1))
        let scope = Self.home(attribute).scope
        let config = DesiredConfig(scope: scope, name: nil, prune: false, webhooks: [hook], location: hook.location)
        // Created with every managed attribute, each shown once.
        let created = try Planner.plan([config], observed: ObservedState(webhooks: [scope: []]))
        #expect(created.changes[0].body == desired)
        #expect(created.changes[0].fields.map(\.name).contains(attribute.name))
        #expect(created.changes[0].fields.first { $0.name == attribute.name }?.sensitive == attribute.sensitive)
        // Equal on the server: no change. Different: a PATCH of exactly that attribute (a different
        // URL is another webhook, so it is checked through a pin elsewhere).
        guard attribute != .url else { return }
        var server = desired
        let same = try Planner.plan([config], observed: ObservedState(webhooks: [scope: [ServerWebhook(id: "w", attributes: server)]]))
        #expect(same.changes[0].action == .unchanged)
        server[attribute] = other
        let changed = try Planner.plan([config], observed: ObservedState(webhooks: [scope: [ServerWebhook(id: "w", attributes: server)]]))
        // An immutable attribute is replaced with the whole declaration; any other is patched alone.
        #expect(changed.changes[0].action == (attribute.immutable ? .replace : .update))
        #expect(changed.changes[0].body == (attribute.immutable ? desired : WebhookAttributes([attribute: value])))
    }

    @Test(arguments: Attribute.all)
    func everyAttributeIsExported(_ attribute: Attribute) throws {
        let (_, value, _) = Self.example(attribute.kind)
        var attributes = WebhookAttributes([.url: "https://hooks.example.com/a", .events: ["whatsapp.message.received"], .bufferEnabled: true])
        attributes[attribute] = value
        let export = SpecExporter.export([SpecExporter.Config(scope: Self.home(attribute).scope, name: "t",
                                                              webhooks: [ServerWebhook(id: "w", attributes: attributes)])],
                                         source: "test")
        #expect(export.omissions.isEmpty)
        #expect(export.yaml.contains("        \(attribute.name):") || export.yaml.contains("      - \(attribute.name):"))
        let environment = Dictionary(uniqueKeysWithValues: export.variables.map { ($0.name, $0.serverValue ?? "x") })
        let hook = try loadSpec(export.yaml, environment: environment).get().configs[0].webhooks[0]
        #expect(hook.attributes[attribute] == value, "\(export.yaml)")
    }
}
