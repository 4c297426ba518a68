import Foundation
import Testing
@testable import KapsoKit

/// The one spec decoder (``SpecDecoder``): the order of keys never changes what a file means, a
/// file with anchors reads as its expansion, every problem is found in one reading.
@Suite struct SpecDecoderTests {
    private let environment = ["S": "s3cret", "T": "t0ken", "ACME_WEBHOOK_SECRET": "a", "ACME_HOOK_TOKEN": "b", "ACME_SALES_SECRET": "c",
                               "ACME_META_SECRET": "f", "ACME_PROJECT_SECRET": "g",
                               "EXAMPLE_API_KEY": "e", "EXAMPLE_WEBHOOK_SECRET": "w"]

    /// What a state declares, without where (reordering a file moves its lines).
    private struct Meaning: Equatable {
        var api: APIGeneration
        var scopes: [String]
        var webhooks: [String]
    }

    private func meaning(_ result: Result<DesiredState, SpecFailure>, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Meaning? {
        guard case .success(let state) = result else {
            Issue.record("did not load: \(result)", sourceLocation: sourceLocation)
            return nil
        }
        return Meaning(
            api: state.api,
            scopes: state.configs.map { "\($0.scope) \($0.name ?? "-") \($0.prune) \($0.ignore)" },
            webhooks: state.configs.flatMap { config in
                config.webhooks.map { hook in
                    let attributes = hook.attributes.entries.map { entry in
                        let value = entry.value.map.map { map in map.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") }
                        return "\(entry.attribute.name)=\(value ?? "\(entry.value)")"
                    }.sorted().joined(separator: ",")
                    return "\(config.scope) \(hook.id ?? "-") \(attributes) \(hook.sensitiveHeaders.sorted()) \(hook.secretTemplates.secretKey ?? "-") \(hook.secretTemplates.headers.sorted { $0.key < $1.key }) \(hook.inheritedAttributes.attributes)"
                }
            })
    }

    /// A file's top-level sections as blocks, so they can be written in another order.
    private func sections(_ yaml: String) -> [String] {
        var blocks: [String] = []
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first != " ", first != "#", first != "-" || blocks.isEmpty {
                blocks.append(String(line))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1] += "\n" + line
            }
        }
        return blocks
    }

    private static let platformWithContextLast = """
        version: 1
        phone_numbers:
          - webhooks:
              - url: https://a.example.com/meta
                kind: meta
              - url: https://a.example.com/k
                payload_version: v1
                buffer_events: [whatsapp.message.received]
                events: [whatsapp.message.reacted, whatsapp.message.received]
            name: support
            phone_number_id: "1234567890"
        project:
          webhooks:
            - url: https://ops.example.com/p
              events: [workflow.execution.failed]
        defaults:
          secret_key: ${S}
          headers: {X-Source: kapso, Authorization: "Bearer ${T}"}
          events: [whatsapp.message.received]
          payload_version: v2
        extra_events: [whatsapp.message.reacted]
        api: platform
        """

    /// Every order of the top-level sections means the same: the generation, the extra events
    /// and the defaults apply to webhooks written before them.
    @Test(arguments: ["webhooks.yaml", "examples/platform.yaml", "examples/anchors.yaml", "inline"])
    func theOrderOfSectionsNeverMatters(_ path: String) throws {
        let yaml = path == "inline" ? Self.platformWithContextLast
            : try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let blocks = sections(yaml)
        #expect(blocks.count >= 3)
        let expected = meaning(loadSpecs([("spec.yaml", yaml)], environment: environment))
        // Each section moved to the front and to the end, and the whole file reversed (anchors
        // must still come before their aliases, so sections holding an anchor stay first).
        let anchored = blocks.filter { $0.contains("&") }
        let rest = blocks.filter { !$0.contains("&") }
        var orders = [anchored + rest.reversed()]
        for index in rest.indices {
            var moved = rest
            let block = moved.remove(at: index)
            orders.append(anchored + [block] + moved)
            orders.append(anchored + moved + [block])
        }
        for order in orders {
            let reordered = order.joined(separator: "\n") + "\n"
            #expect(meaning(loadSpecs([("spec.yaml", reordered)], environment: environment)) == expected, "\(reordered)")
        }
    }

    /// A scope's id may come after its webhooks, a webhook's keys in any order.
    /// An unset variable is one note at its first use, counting every other use — the same text
    /// expanded once still counts each (a fork's pull request reads a spec without its secrets).
    @Test func anUnsetVariableIsOneNoteCountingEveryUse() throws {
        var yaml = "version: 1\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n"
        for i in 0..<300 {
            yaml += "      - {url: https://h.example.com/\(i), secret_key: \"${SECRET}\", events: [whatsapp.message.sent], headers: {Authorization: \"Bearer ${TOKEN}\"}}\n"
        }
        let state = try outcome([SourceText(path: "spec.yaml", bytes: Array(yaml.utf8))], environment: ["TOKEN": "t"], unsetVariables: .note).get()
        #expect(state.notes.map(\.description) == [
            "spec.yaml:5:53: note: environment variable SECRET is not set; plan and apply will need it (used 299 more times)",
        ])
        #expect(state.configs[0].webhooks.allSatisfy { $0.attributes.headers?["Authorization"] == "Bearer t" })
    }

    @Test func theOrderOfKeysInsideAScopeNeverMatters() {
        let before = """
            version: 1
            configs:
              - whatsapp_config_id: \(configA)
                name: support
                webhooks:
                  - {url: https://a.example.com/x, events: [whatsapp.message.received], buffer_enabled: true, buffer_events: [whatsapp.message.received]}
            """
        let after = """
            version: 1
            configs:
              - webhooks:
                  - {buffer_events: [whatsapp.message.received], buffer_enabled: true, events: [whatsapp.message.received], url: https://a.example.com/x}
                name: support
                whatsapp_config_id: \(configA)
            """
        #expect(meaning(loadSpec(before)) == meaning(loadSpec(after)))
    }

    /// A rule that depends on the context is checked with the context the file ends with,
    /// wherever it is written: the same messages in either order.
    @Test func contextRulesAreCheckedWithTheFinalContext() {
        let first = """
            api: platform
            extra_events: [whatsapp.message.reacted]
            defaults: {events: [project.event]}
            version: 1
            phone_numbers:
              - phone_number_id: "1"
                webhooks:
                  - {url: https://a.example.com/x, kind: meta, buffer_enabled: true}
                  - {url: https://a.example.com/y, events: [whatsapp.message.nope]}
            configs: []
            """
        let last = """
            version: 1
            phone_numbers:
              - phone_number_id: "1"
                webhooks:
                  - {url: https://a.example.com/x, kind: meta, buffer_enabled: true}
                  - {url: https://a.example.com/y, events: [whatsapp.message.nope]}
            configs: []
            defaults: {events: [project.event]}
            extra_events: [whatsapp.message.reacted]
            api: platform
            """
        let messages = { (yaml: String) in Set(diagnostics(yaml).map(\.message)) }
        #expect(messages(first) == messages(last))
        #expect(messages(last).contains { $0.contains("'configs' belongs to the legacy API") })
        #expect(messages(last).contains { $0.contains("event 'project.event' (from 'defaults') is only for project webhooks") })
        #expect(messages(last).contains { $0.contains("a 'meta' webhook receives Meta's raw payload: it takes no 'buffer_enabled'") })
        #expect(messages(last).contains { $0.contains("unknown event 'whatsapp.message.nope'") })
        #expect(messages(last).count == 4)
    }

    /// Anchors, aliases and merge keys read as the file they stand for.
    @Test func anAnchoredFileReadsAsItsExpansion() {
        let anchored = """
            version: 1
            x-hook: &hook {secret_key: "${S}", events: &events [whatsapp.message.received, whatsapp.message.sent], active: false}
            configs:
              - whatsapp_config_id: \(configA)
                webhooks:
                  - {<<: *hook, url: https://a.example.com/1}
                  - {<<: *hook, url: https://a.example.com/2, active: true}
                  - {url: https://a.example.com/3, events: *events}
            """
        let expanded = """
            version: 1
            configs:
              - whatsapp_config_id: \(configA)
                webhooks:
                  - {url: https://a.example.com/1, secret_key: "${S}", events: [whatsapp.message.received, whatsapp.message.sent], active: false}
                  - {url: https://a.example.com/2, active: true, secret_key: "${S}", events: [whatsapp.message.received, whatsapp.message.sent]}
                  - {url: https://a.example.com/3, events: [whatsapp.message.received, whatsapp.message.sent]}
            """
        #expect(meaning(loadSpec(anchored, environment: environment)) == meaning(loadSpec(expanded, environment: environment)))
    }

    /// Every problem of a file is found in one reading, whether it is read from libyaml's events
    /// or (with an alias) from its tree: YAML-level ones (duplicate and non-scalar keys, tags) too.
    @Test(arguments: [false, true])
    func everyProblemIsFoundEitherWay(_ withAlias: Bool) {
        let yaml = """
            version: 1
            x-events: &e [whatsapp.message.received]
            configs:
              - whatsapp_config_id: \(configA)
                webhooks:
                  - url: https://a.example.com/x
                    url: https://a.example.com/y
                    events: \(withAlias ? "*e" : "[whatsapp.message.received]")
                    [a]: b
                    active: !!custom yes
                    inactivity_minutes: 0
            """
        let found = diagnostics(yaml).map { "\($0.line):\($0.column) \($0.message)" }
        #expect(found == [
            "7:9 duplicate key 'url'; it is first defined at line 6, column 9",
            "9:9 mapping keys must be scalars, not a list",
            "10:17 unsupported tag '!!custom'; only the standard !!str, !!int, !!bool, !!map and !!seq tags are accepted",
            "10:17 'active' must be true or false; 'yes' is not accepted as a boolean (write true or false)",
            "11:29 'inactivity_minutes' must be an integer from 1 to 1440; 0 is out of range",
        ], "\(found)")
    }

    /// A duplicate key's value is left out: the first one counts (and the file fails).
    @Test func aDuplicateKeysValueIsLeftOut() {
        let yaml = "version: 1\nconfigs: []\nconfigs:\n  - {whatsapp_config_id: nope, webhooks: []}\n"
        #expect(diagnostics(yaml).map(\.message) == ["duplicate key 'configs'; it is first defined at line 2, column 1"])
    }

    /// A byte-level URL check that says yes must mean the full check says yes.
    @Test(arguments: ["https://a.example.com", "https://a.example.com/x/y_z-1.2~3", "https://hooks0.example.com/whatsapp/0/receive",
                      "https://a..b/", "https://-a/"])
    func plainURLsPassTheFullCheck(_ url: String) {
        #expect(SpecText.plainHTTPSURL(url))
        #expect(SpecText.urlProblem(url) == nil)
    }

    @Test(arguments: ["http://a.example.com", "https://A.example.com", "https://a.example.com:8443/x", "https://u@a.example.com",
                      "https://a.example.com/%41", "https://a.example.com/x?y=1", "https://", "https://a.example.com/" + String(repeating: "x", count: 2050)])
    func otherURLsGetTheFullCheck(_ url: String) {
        #expect(!SpecText.plainHTTPSURL(url))
    }
}
