import Testing
@testable import KapsoKit

/// One invalid input and the error it must produce.
struct InvalidCase: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    var line: Int
    var column: Int
    var message: String
    var environment: [String: String] = [:]
    /// How many diagnostics the input produces in all.
    var count = 1

    var testDescription: String { name }
}

let invalidCases: [InvalidCase] = [
    // Top level
    InvalidCase(name: "missing version", yaml: "configs: []\n", line: 1, column: 1,
                message: "missing required key 'version'; add 'version: 1'"),
    InvalidCase(name: "version 2", yaml: "version: 2\nconfigs: []\n", line: 1, column: 10,
                message: "'version' must be 1"),
    InvalidCase(name: "quoted version", yaml: "version: \"1\"\nconfigs: []\n", line: 1, column: 10,
                message: "'version' must be an integer from 1 to 9223372036854775807, not a quoted string"),
    InvalidCase(name: "misspelt top-level key", yaml: "version: 1\nconfigs: []\nconfgs: []\n", line: 3, column: 1,
                message: "unknown key 'confgs' in the top level; did you mean 'configs'?"),
    InvalidCase(name: "configs under platform", yaml: "version: 1\napi: platform\nconfigs: []\n", line: 3, column: 1,
                message: "'configs' belongs to the legacy API; with 'api: platform' webhooks are declared under 'phone_numbers' and 'project'", count: 2),
    InvalidCase(name: "unknown api", yaml: "version: 1\napi: v2\nconfigs: []\n", line: 2, column: 6,
                message: "'api' must be 'legacy' or 'platform', not 'v2'"),
    InvalidCase(name: "phone_numbers under legacy", yaml: "version: 1\nconfigs: []\nphone_numbers: []\n", line: 3, column: 1,
                message: "'phone_numbers' belongs to 'api: platform'"),
    InvalidCase(name: "top level is a list", yaml: "- version: 1\n", line: 1, column: 1,
                message: "the top level must be a mapping starting with 'version: 1', not a list"),
    InvalidCase(name: "configs is a mapping", yaml: "version: 1\nconfigs: {a: 1}\n", line: 2, column: 10,
                message: "'configs' must be a list, not a mapping"),
    InvalidCase(name: "configs missing", yaml: "version: 1\n", line: 1, column: 1,
                message: "missing required key 'configs'"),
    // Configs
    InvalidCase(name: "config without id", yaml: "version: 1\nconfigs:\n  - webhooks: []\n", line: 3, column: 5,
                message: "missing required key 'whatsapp_config_id' in this config"),
    InvalidCase(name: "config id not a UUID", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: 1234\n    webhooks: []\n",
                line: 3, column: 25, message: "'whatsapp_config_id' must be a UUID"),
    InvalidCase(name: "misspelt config key", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    nmae: x\n    webhooks: []\n",
                line: 4, column: 5, message: "unknown key 'nmae' in a config; did you mean 'name'?"),
    InvalidCase(name: "prune yes", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    prune: yes\n    webhooks: []\n",
                line: 4, column: 12, message: "'prune' must be true or false; 'yes' is not accepted as a boolean"),
    InvalidCase(name: "config without webhooks", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n",
                line: 3, column: 5, message: "missing required key 'webhooks' in this config"),
    InvalidCase(name: "config name null", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    name: ~\n    webhooks: []\n",
                line: 4, column: 11, message: "'name' must be a string, not null"),
    // Webhook identity and URL
    InvalidCase(name: "webhook without url",
                yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - events: [whatsapp.message.sent]\n",
                line: 5, column: 9, message: "missing required key 'url' in this webhook"),
    InvalidCase(name: "plain http to a public host", yaml: oneWebhook("", url: "http://hooks.example.com/a"), line: 5, column: 14,
                message: "'url' must use https; plain http is allowed only for localhost and loopback addresses"),
    InvalidCase(name: "ftp url", yaml: oneWebhook("", url: "ftp://hooks.example.com/a"), line: 5, column: 14,
                message: "'url' must use https, not 'ftp'"),
    InvalidCase(name: "url with a space", yaml: oneWebhook("", url: "\"https://hooks.example.com/a b\""), line: 5, column: 14,
                message: "'url' must not contain spaces"),
    InvalidCase(name: "url without host", yaml: oneWebhook("", url: "https:///path"), line: 5, column: 14,
                message: "'url' has no host"),
    InvalidCase(name: "relative url", yaml: oneWebhook("", url: "/hooks/a"), line: 5, column: 14,
                message: "'url' is not a valid absolute URL"),
    InvalidCase(name: "id not a UUID", yaml: oneWebhook("id: 42"), line: 6, column: 13,
                message: "'id' must be a UUID"),
    // Secrets and interpolation
    InvalidCase(name: "empty secret", yaml: oneWebhook("secret_key: \"\""), line: 6, column: 21,
                message: "'secret_key' must not be empty"),
    InvalidCase(name: "unset variable points into the scalar", yaml: oneWebhook("secret_key: prefix-${UNSET_SECRET}"),
                line: 6, column: 28, message: "environment variable UNSET_SECRET is not set"),
    InvalidCase(name: "unset variable in a quoted scalar", yaml: oneWebhook("headers: {X-Token: \"Bearer ${NO_TOKEN}\"}"),
                line: 6, column: 36, message: "environment variable NO_TOKEN is not set"),
    InvalidCase(name: "invalid variable name", yaml: oneWebhook("secret_key: ${1BAD}"), line: 6, column: 21,
                message: "'${1BAD}' is not a valid variable reference"),
    InvalidCase(name: "unterminated variable", yaml: oneWebhook("secret_key: abc${OPEN"), line: 6, column: 24,
                message: "unterminated '${'"),
    InvalidCase(name: "variable set to empty secret", yaml: oneWebhook("secret_key: ${EMPTY}"), line: 6, column: 21,
                message: "'secret_key' must not be empty", environment: ["EMPTY": ""]),
    // Events
    InvalidCase(name: "misspelt event", yaml: oneWebhook("events: [whatsapp.message.recieved]"), line: 6, column: 18,
                message: "unknown event 'whatsapp.message.recieved'; did you mean 'whatsapp.message.received'?"),
    InvalidCase(name: "unknown event names the way out", yaml: oneWebhook("events: [whatsapp.message.reacted]"), line: 6, column: 18,
                message: "unknown event 'whatsapp.message.reacted'; did you mean 'whatsapp.message.read'? (a new Kapso event goes in the top-level 'extra_events' list)"),
    InvalidCase(name: "misspelt event next to extra events", yaml: "extra_events: [whatsapp.message.reacted]\n" + oneWebhook("events: [whatsapp.message.reactd]"),
                line: 7, column: 18, message: "unknown event 'whatsapp.message.reactd'; did you mean 'whatsapp.message.reacted'?"),
    InvalidCase(name: "malformed extra event", yaml: "extra_events: [Whatsapp.Message.Reacted]\n" + oneWebhook(""), line: 1, column: 16,
                message: "'Whatsapp.Message.Reacted' is not a well-formed event name: lowercase letters, digits and '_' in two or more parts joined by dots"),
    InvalidCase(name: "one-part extra event", yaml: "extra_events: [reacted]\n" + oneWebhook(""), line: 1, column: 16,
                message: "'reacted' is not a well-formed event name"),
    InvalidCase(name: "extra events as a string", yaml: "extra_events: whatsapp.message.reacted\n" + oneWebhook(""), line: 1, column: 15,
                message: "'extra_events' must be a list, not a scalar"),
    InvalidCase(name: "project-scope event", yaml: oneWebhook("events: [whatsapp.phone_number.created]"), line: 6, column: 18,
                message: "event 'whatsapp.phone_number.created' is only for project-scoped webhooks"),
    InvalidCase(name: "duplicate event", yaml: oneWebhook("events:\n  - whatsapp.message.sent\n  - whatsapp.message.sent"),
                line: 8, column: 13, message: "duplicate event 'whatsapp.message.sent' in 'events'; first listed at line 7, column 13"),
    InvalidCase(name: "no events", yaml: oneWebhook("events: []"), line: 6, column: 17,
                message: "'events' must list at least one event"),
    InvalidCase(name: "events as a string", yaml: oneWebhook("events: whatsapp.message.sent"), line: 6, column: 17,
                message: "'events' must be a list, not a scalar"),
    InvalidCase(name: "event as a mapping", yaml: oneWebhook("events: [{name: whatsapp.message.sent}]"), line: 6, column: 18,
                message: "each item of 'events' must be an event name, not a mapping"),
    InvalidCase(name: "unbufferable buffer event",
                yaml: oneWebhook("events: [whatsapp.message.sent]\nbuffer_events: [whatsapp.message.sent]"), line: 7, column: 25,
                message: "only 'whatsapp.message.received' can be buffered, not 'whatsapp.message.sent'"),
    InvalidCase(name: "buffer event not subscribed",
                yaml: oneWebhook("events: [whatsapp.message.sent]\nbuffer_events: [whatsapp.message.received]"), line: 7, column: 25,
                message: "buffer_events lists 'whatsapp.message.received', which is not in this webhook's 'events'"),
    // Numbers and booleans
    InvalidCase(name: "window zero", yaml: oneWebhook("buffer_window_seconds: 0"), line: 6, column: 32,
                message: "'buffer_window_seconds' must be an integer from 1 to 60; 0 is out of range"),
    InvalidCase(name: "window 61", yaml: oneWebhook("buffer_window_seconds: 61"), line: 6, column: 32,
                message: "'buffer_window_seconds' must be an integer from 1 to 60; 61 is out of range"),
    InvalidCase(name: "buffer size 101", yaml: oneWebhook("max_buffer_size: 101"), line: 6, column: 26,
                message: "'max_buffer_size' must be an integer from 1 to 100; 101 is out of range"),
    InvalidCase(name: "inactivity 1441", yaml: oneWebhook("inactivity_minutes: 1441"), line: 6, column: 29,
                message: "'inactivity_minutes' must be an integer from 1 to 1440; 1441 is out of range"),
    InvalidCase(name: "hex integer", yaml: oneWebhook("inactivity_minutes: 0x1F"), line: 6, column: 29,
                message: "'inactivity_minutes' must be an integer from 1 to 1440, not '0x1F'"),
    InvalidCase(name: "quoted integer", yaml: oneWebhook("inactivity_minutes: \"60\""), line: 6, column: 29,
                message: "not a quoted string"),
    InvalidCase(name: "underscored integer", yaml: oneWebhook("max_buffer_size: 1_0"), line: 6, column: 26,
                message: "not '1_0'"),
    InvalidCase(name: "float", yaml: oneWebhook("max_buffer_size: 5.0"), line: 6, column: 26,
                message: "not '5.0'"),
    InvalidCase(name: "huge integer", yaml: oneWebhook("max_buffer_size: 99999999999999999999999"), line: 6, column: 26,
                message: "not '99999999999999999999999'"),
    InvalidCase(name: "active on", yaml: oneWebhook("active: on"), line: 6, column: 17,
                message: "'active' must be true or false; 'on' is not accepted as a boolean (write true or false)"),
    InvalidCase(name: "active True", yaml: oneWebhook("active: True"), line: 6, column: 17,
                message: "'True' is not accepted as a boolean"),
    InvalidCase(name: "quoted boolean", yaml: oneWebhook("active: \"true\""), line: 6, column: 17,
                message: "'active' must be true or false, not a quoted string"),
    InvalidCase(name: "null boolean", yaml: oneWebhook("buffer_enabled: ~"), line: 6, column: 25,
                message: "'buffer_enabled' must be true or false, not null"),
    InvalidCase(name: "boolean as a number", yaml: oneWebhook("buffer_enabled: 1"), line: 6, column: 25,
                message: "'buffer_enabled' must be true or false, not '1'"),
    // Headers
    InvalidCase(name: "headers as a list", yaml: oneWebhook("headers: [a]"), line: 6, column: 18,
                message: "'headers' must be a mapping, not a list"),
    InvalidCase(name: "header name with a space", yaml: oneWebhook("headers: {\"X Bad\": v}"), line: 6, column: 19,
                message: "'X Bad' is not a valid HTTP header name"),
    InvalidCase(name: "header value a mapping", yaml: oneWebhook("headers:\n  X-A: {b: c}"), line: 7, column: 16,
                message: "header 'X-A' must be a string, not a mapping"),
    InvalidCase(name: "header duplicated in another case", yaml: oneWebhook("headers:\n  X-Team: a\n  x-team: b"), line: 8, column: 11,
                message: "duplicate header 'x-team' (header names are case-insensitive); first at line 7, column 11"),
    InvalidCase(name: "header value with a line break", yaml: oneWebhook("headers: {X-A: \"a\\nb\"}"), line: 6, column: 24,
                message: "header 'X-A' must not contain line breaks"),
    // Keys
    InvalidCase(name: "misspelt webhook key", yaml: oneWebhook("secret: x"), line: 6, column: 9,
                message: "unknown key 'secret' in a webhook; did you mean 'secret_key'?"),
    InvalidCase(name: "unknown key without a near match", yaml: oneWebhook("colour: blue"), line: 6, column: 9,
                message: "unknown key 'colour' in a webhook; expected one of: id, url, secret_key"),
    InvalidCase(name: "platform attribute", yaml: oneWebhook("kind: meta"), line: 6, column: 9,
                message: "'kind' is a Platform API attribute; it is not available with 'api: legacy'"),
    InvalidCase(name: "url as a default", yaml: "version: 1\ndefaults:\n  url: https://a.example.com\nconfigs: []\n", line: 3, column: 3,
                message: "'url' cannot be a default"),
    InvalidCase(name: "misspelt default", yaml: "version: 1\ndefaults:\n  actve: true\nconfigs: []\n", line: 3, column: 3,
                message: "unknown key 'actve' in 'defaults'; did you mean 'active'?"),
    InvalidCase(name: "invalid default reported once", yaml: "version: 1\ndefaults:\n  active: off\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: https://a.example.com\n      - url: https://b.example.com\n",
                line: 3, column: 11, message: "'off' is not accepted as a boolean"),
    // Identity
    InvalidCase(name: "same url twice in one config",
                yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: https://a.example.com\n      - url: https://a.example.com\n",
                line: 5, column: 9, message: "two webhooks of config \(configA) have the same url https://a.example.com; the other is at spec.yaml:6:9",
                count: 2),
    InvalidCase(name: "same id twice in one config",
                yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - {url: https://a.example.com, id: 9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b}\n      - {url: https://b.example.com, id: 9E8D7C6B-5A4F-3E2D-1C0B-9A8F7E6D5C4B}\n",
                line: 6, column: 9, message: "have the same id 9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b; the other is at spec.yaml:5:9",
                count: 2),
    InvalidCase(name: "config named twice differently",
                yaml: "version: 1\nconfigs:\n  - {whatsapp_config_id: \(configA), name: a, webhooks: []}\n  - {whatsapp_config_id: \(configA), name: b, webhooks: []}\n",
                line: 4, column: 70, message: "is named 'a' at spec.yaml:3:70; one config has one name"),
    // YAML level
    InvalidCase(name: "duplicate key", yaml: "version: 1\nconfigs: []\nversion: 1\n", line: 3, column: 1,
                message: "duplicate key 'version'; it is first defined at line 1, column 1"),
    InvalidCase(name: "unsupported tag", yaml: "version: 1\nconfigs: !!set []\n", line: 2, column: 10,
                message: "unsupported tag '!!set' on a list"),
    InvalidCase(name: "syntax error", yaml: "version: 1\nconfigs: [\n", line: 3, column: 1,
                message: "YAML syntax error: did not find expected node content"),
    InvalidCase(name: "two documents", yaml: "version: 1\nconfigs: []\n---\nversion: 1\n", line: 3, column: 1,
                message: "a second YAML document starts here"),
    InvalidCase(name: "empty file", yaml: "", line: 1, column: 1, message: "the file is empty"),
    InvalidCase(name: "undefined alias", yaml: "version: 1\nconfigs: *c\n", line: 2, column: 10,
                message: "alias '*c' refers to no anchor defined before it"),
    InvalidCase(name: "tab indentation", yaml: "version: 1\nconfigs:\n\t- a\n", line: 3, column: 1,
                message: "a tab in the indentation: YAML indents with spaces only; replace the tab at column 1 with spaces"),
    InvalidCase(name: "tab after spaces", yaml: "version: 1\nconfigs:\n  - whatsapp_config_id: x\n  \t webhooks: []\n", line: 4, column: 3,
                message: "a tab in the indentation: YAML indents with spaces only; replace the tab at column 3 with spaces"),
]

/// The Platform API's rules.
let platformInvalidCases: [InvalidCase] = [
    InvalidCase(name: "platform without scopes", yaml: "version: 1\napi: platform\n", line: 1, column: 1,
                message: "missing key 'phone_numbers' or 'project': a platform spec declares webhooks per phone number, for the project, or both"),
    InvalidCase(name: "phone number id with a plus", yaml: "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"+1 555 0100\"\n    webhooks: []\n",
                line: 4, column: 22, message: "'phone_number_id' must be Meta's id of the number: digits only"),
    InvalidCase(name: "phone number without id", yaml: "version: 1\napi: platform\nphone_numbers:\n  - webhooks: []\n", line: 4, column: 5,
                message: "missing required key 'phone_number_id' in this phone number"),
    InvalidCase(name: "config key under a number", yaml: "version: 1\napi: platform\nphone_numbers:\n  - phone_number_id: \"1\"\n    whatsapp_config_id: x\n    webhooks: []\n",
                line: 5, column: 5, message: "unknown key 'whatsapp_config_id' in a phone number"),
    InvalidCase(name: "project event on a number", yaml: onePlatformWebhook("secret_key: s\nevents: [whatsapp.phone_number.created]"), line: 8, column: 18,
                message: "event 'whatsapp.phone_number.created' is only for project webhooks; declare this webhook under 'project' to subscribe to it"),
    InvalidCase(name: "number event on the project", yaml: oneProjectWebhook("events: [whatsapp.message.received]"), line: 6, column: 16,
                message: "event 'whatsapp.message.received' is for a phone number's webhooks; a project webhook takes only project events"),
    InvalidCase(name: "misspelt platform event", yaml: oneProjectWebhook("events: [workflow.execution.faild]"), line: 6, column: 16,
                message: "unknown event 'workflow.execution.faild'; did you mean 'workflow.execution.failed'?"),
    InvalidCase(name: "unknown kind", yaml: onePlatformWebhook("kind: raw"), line: 7, column: 15,
                message: "'kind' must be 'kapso' or 'meta', not 'raw'"),
    InvalidCase(name: "payload version 3", yaml: onePlatformWebhook("payload_version: v3"), line: 7, column: 26,
                message: "'payload_version' must be 'v1' or 'v2', not 'v3'"),
    InvalidCase(name: "meta with events", yaml: onePlatformWebhook("kind: meta\nevents: [whatsapp.message.received]"), line: 8, column: 17,
                message: "a 'meta' webhook receives Meta's raw payload: it takes no 'events'"),
    InvalidCase(name: "meta with a payload version", yaml: onePlatformWebhook("kind: meta\npayload_version: v1"), line: 8, column: 26,
                message: "a 'meta' webhook receives Meta's raw payload: it takes no 'payload_version'"),
    InvalidCase(name: "meta with buffering", yaml: onePlatformWebhook("kind: meta\nbuffer_enabled: true"), line: 8, column: 25,
                message: "a 'meta' webhook receives Meta's raw payload: it takes no 'buffer_enabled'"),
    InvalidCase(name: "meta on the project", yaml: oneProjectWebhook("kind: meta"), line: 6, column: 13,
                message: "'kind: meta' is for a phone number's webhook"),
    InvalidCase(name: "two meta webhooks on a number",
                yaml: onePlatformWebhook("kind: meta\nsecret_key: s").appending("\n      - {url: https://hooks.example.com/b, kind: meta, secret_key: s}\n"),
                line: 9, column: 9, message: "phone number 1234567890 has a 'meta' webhook already, at spec.yaml:6:9; a number has at most one"),
    InvalidCase(name: "phone number id on a webhook", yaml: onePlatformWebhook("phone_number_id: \"1\""), line: 7, column: 9,
                message: "'phone_number_id' is not set on a webhook: declare the webhook under its number in 'phone_numbers'"),
    InvalidCase(name: "project under legacy", yaml: "version: 1\nconfigs: []\nproject: {webhooks: []}\n", line: 3, column: 1,
                message: "'project' belongs to 'api: platform'; add 'api: platform'"),
]

@Suite struct SpecErrorMatrixTests {
    @Test(arguments: platformInvalidCases)
    func platformRulesAreReportedAtTheirPosition(_ c: InvalidCase) {
        let found = diagnostics(c.yaml, environment: c.environment)
        #expect(found.count == c.count, "\(found.map(\.description))")
        let match = found.contains { $0.file == "spec.yaml" && $0.line == c.line && $0.column == c.column && $0.message.contains(c.message) }
        #expect(match, "expected \(c.line):\(c.column) \(c.message); got \(found.map(\.description))")
    }

    @Test func oneRunSpeaksOneGeneration() {
        guard case .failure(let failure) = loadSpecs([("a.yaml", "version: 1\nconfigs: []\n"),
                                                      ("b.yaml", "version: 1\napi: platform\nproject: {webhooks: []}\n")]) else {
            Issue.record("mixed generations loaded")
            return
        }
        #expect(failure.diagnostics.map(\.description) == [
            "b.yaml:2:6: error: this file is for 'api: platform' but a.yaml is for 'api: legacy'; one run manages one API generation, so plan them separately",
        ])
    }

    @Test(arguments: invalidCases)
    func invalidInputIsReportedAtItsPosition(_ c: InvalidCase) {
        let found = diagnostics(c.yaml, environment: c.environment)
        #expect(found.count == c.count, "\(found.map(\.description))")
        let match = found.contains { $0.file == "spec.yaml" && $0.line == c.line && $0.column == c.column && $0.message.contains(c.message) }
        #expect(match, "expected \(c.line):\(c.column) \(c.message); got \(found.map(\.description))")
    }

    @Test func matrixIsLargeEnough() {
        #expect(invalidCases.count >= 40)
    }

    @Test func everyErrorOfAFileIsReported() {
        let yaml = """
        version: 1
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - url: http://public.example.com
                active: yes
                buffer_window_seconds: 99
                events: [whatsapp.message.nope]
        """
        let found = diagnostics(yaml)
        #expect(found.map(\.line) == [5, 6, 7, 8])
    }
}
