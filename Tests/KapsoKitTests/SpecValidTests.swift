import Foundation
import Testing
@testable import KapsoKit

@Suite struct SpecValidTests {
    let acmeEnvironment = ["ACME_WEBHOOK_SECRET": "s3cret-acme", "ACME_HOOK_TOKEN": "tok-123", "ACME_SALES_SECRET": "s3cret-sales"]

    func state(_ yaml: String, environment: [String: String] = [:]) throws -> DesiredState {
        try loadSpec(yaml, environment: environment).get()
    }

    @Test func platformExampleLoads() throws {
        let state = try SpecLoader.load(paths: [repositoryRoot.appendingPathComponent("examples/platform.yaml").path],
                                        environment: ["ACME_WEBHOOK_SECRET": "w", "ACME_META_SECRET": "m", "ACME_PROJECT_SECRET": "p", "RECEIVER_PORT": "8080", "RECEIVER_SECRET": "r"])
        #expect(state.api == .platform)
        #expect(state.configs.map(\.scope) == [.phoneNumber("1234567890"), .project])
        #expect(state.configs[0].prune)
        let meta = state.configs[0].webhooks[1]
        #expect(meta.attributes == WebhookAttributes([.url: "https://api.acme.com/hooks/meta-raw", .kind: "meta", .secretKey: "m"]))
        #expect(state.configs[1].webhooks[0].attributes.events == ["whatsapp.phone_number.created", "workflow.execution.failed"])
    }

    /// An event Kapso added after this version of kapsoctl: declared in `extra_events`, it is
    /// accepted in any scope (the server judges where it belongs).
    @Test func extraEventsAreAccepted() throws {
        let legacy = try state("extra_events: [whatsapp.message.reacted]\n" + oneWebhook("events: [whatsapp.message.reacted, whatsapp.message.sent]"))
        #expect(legacy.configs[0].webhooks[0].attributes.events == ["whatsapp.message.reacted", "whatsapp.message.sent"])
        let project = try state("extra_events: [workflow.execution.paused]\n" + oneProjectWebhook("events: [workflow.execution.paused]"))
        #expect(project.configs[0].webhooks[0].attributes.events == ["workflow.execution.paused"])
        let number = try state("extra_events: [workflow.execution.paused]\n" + onePlatformWebhook("secret_key: s\nevents: [workflow.execution.paused]"))
        #expect(number.configs[0].webhooks[0].attributes.events == ["workflow.execution.paused"])
    }

    @Test func rootExampleLoadsWithDefaultsMerged() throws {
        let state = try SpecLoader.load(paths: [repositoryRoot.appendingPathComponent("webhooks.yaml").path],
                                        environment: acmeEnvironment)
        #expect(state.configs.map(\.scope.id) == ["4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d", "7f3e2d1c-0b9a-4876-9543-21fedcba9876"])
        #expect(state.webhookCount == 3)
        let support = state.configs[0]
        #expect(support.name == "support line")
        #expect(support.prune == false)
        let first = support.webhooks[0]
        #expect(first.attributes == WebhookAttributes([.url: "https://api.acme.com/hooks/whatsapp", .secretKey: "s3cret-acme",
            .events: ["whatsapp.message.received", "whatsapp.message.sent", "whatsapp.message.delivered",
                     "whatsapp.message.read", "whatsapp.message.failed"],
            .active: true, .headers: ["X-Source": "kapso", "Authorization": "Bearer tok-123"], .bufferEnabled: true,
            .bufferWindowSeconds: 5, .maxBufferSize: 50, .bufferEvents: ["whatsapp.message.received"]]))
        #expect(first.sensitiveHeaders == ["authorization"])
        #expect(first.secretTemplates == SecretTemplates(secretKey: "${ACME_WEBHOOK_SECRET}", headers: ["authorization": "Bearer ${ACME_HOOK_TOKEN}"]))
        #expect(support.webhooks[1].attributes[.inactivityMinutes] == 30)
        #expect(support.webhooks[1].attributes.bufferEnabled == nil)
        #expect(state.configs[1].webhooks[0].attributes.secretKey == "s3cret-sales")
    }

    @Test func everyExampleFileIsValid() throws {
        let directory = repositoryRoot.appendingPathComponent("examples")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let result = Result { () throws(SpecFailure) in
                try SpecLoader.load(paths: [directory.appendingPathComponent(file).path],
                                    environment: ["EXAMPLE_WEBHOOK_SECRET": "x", "EXAMPLE_API_KEY": "y", "ACME_WEBHOOK_SECRET": "w",
                                                  "ACME_META_SECRET": "m", "ACME_PROJECT_SECRET": "p", "RECEIVER_PORT": "8080", "RECEIVER_SECRET": "r"])
            }
            if case .failure(let failure) = result { Issue.record("\(file): \(failure)") }
        }
    }

    @Test func attributesLeftOutAreNotManaged() throws {
        let s = try state(oneWebhook("events: [whatsapp.message.sent]"))
        let hook = s.configs[0].webhooks[0]
        #expect(hook.attributes == WebhookAttributes([.url: "https://hooks.example.com/a", .events: ["whatsapp.message.sent"]]))
        #expect(hook.identity == .url("https://hooks.example.com/a"))
        #expect(hook.location == SourceLocation(file: "spec.yaml", line: 5, column: 9))
    }

    @Test func everyAttributeIsRead() throws {
        let s = try state(oneWebhook("""
        id: 9E8D7C6B-5A4F-3E2D-1C0B-9A8F7E6D5C4B
        secret_key: literal
        events: [whatsapp.message.received, whatsapp.conversation.inactive]
        active: false
        headers: {X-Team: "7", X-Count: 12}
        buffer_enabled: true
        buffer_window_seconds: 60
        max_buffer_size: 1
        buffer_events: [whatsapp.message.received]
        inactivity_minutes: 1440
        """))
        let hook = s.configs[0].webhooks[0]
        #expect(hook.id == "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")
        #expect(hook.identity == .id("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b"))
        #expect(hook.attributes == WebhookAttributes([.url: "https://hooks.example.com/a", .secretKey: "literal",
            .events: ["whatsapp.message.received", "whatsapp.conversation.inactive"], .active: false,
            .headers: ["X-Team": "7", "X-Count": "12"], .bufferEnabled: true, .bufferWindowSeconds: 60, .maxBufferSize: 1,
            .bufferEvents: ["whatsapp.message.received"], .inactivityMinutes: 1440]))
        #expect(hook.sensitiveHeaders.isEmpty)
        #expect(hook.secretTemplates == SecretTemplates(secretKey: "literal"))
    }

    @Test func headersMergeByNameCaseInsensitively() throws {
        let s = try state("""
        version: 1
        defaults:
          headers: {X-Source: kapso, X-Env: prod}
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - url: https://a.example.com
                headers: {x-source: override, Authorization: plain-but-sensitive}
              - url: https://b.example.com
              - url: https://c.example.com
                headers: ~
        """)
        let hooks = s.configs[0].webhooks
        #expect(hooks[0].attributes.headers == ["X-Env": "prod", "x-source": "override", "Authorization": "plain-but-sensitive"])
        #expect(hooks[0].sensitiveHeaders == ["authorization"])
        #expect(hooks[1].attributes.headers == ["X-Source": "kapso", "X-Env": "prod"])
        // `headers: ~` is the empty map merged with the defaults.
        #expect(hooks[2].attributes.headers == ["X-Source": "kapso", "X-Env": "prod"])
    }

    @Test func ownKeysWinOverDefaults() throws {
        let s = try state("""
        version: 1
        defaults: {active: true, events: [whatsapp.message.sent], inactivity_minutes: 5}
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - {url: https://a.example.com, active: false, events: [whatsapp.message.read]}
        """)
        let a = s.configs[0].webhooks[0].attributes
        #expect(a[.active] == false)
        #expect(a.events == ["whatsapp.message.read"])
        #expect(a[.inactivityMinutes] == 5)
    }

    @Test func interpolationAndEscapes() throws {
        let s = try state(oneWebhook("""
        secret_key: "${SECRET}"
        headers:
          X-Literal: "$${NOT_A_VAR} and $HOME and $"
          X-From-Env: "v=${PLAIN}"
        """, url: "https://${HOST}/hooks"), environment: ["SECRET": "abc", "PLAIN": "1", "HOST": "h.example.com"])
        let hook = s.configs[0].webhooks[0]
        #expect(hook.url == "https://h.example.com/hooks")
        #expect(hook.attributes.secretKey == "abc")
        #expect(hook.secretTemplates == SecretTemplates(secretKey: "${SECRET}", headers: ["x-from-env": "v=${PLAIN}"],
                                                        url: "https://${HOST}/hooks"))
        #expect(hook.displayURL == "https://${HOST}/hooks")
        // Every value substituted from the environment is a secret wherever it appears.
        #expect(s.secretValues == ["abc", "1", "h.example.com"])
        #expect(hook.attributes.headers == ["X-Literal": "${NOT_A_VAR} and $HOME and $", "X-From-Env": "v=1"])
        // A value from the environment is treated as a secret whatever the header's name.
        #expect(hook.sensitiveHeaders == ["x-from-env"])
    }

    @Test func extensionKeysAnchorsAndMergeKeys() throws {
        let s = try state("""
        version: 1
        x-common: &common
          events: [whatsapp.message.received]
          buffer_enabled: true
        x-anything-else: {ignored: [1, 2]}
        configs:
          - whatsapp_config_id: \(configA)
            webhooks:
              - <<: *common
                url: https://a.example.com
                buffer_enabled: false
        """)
        let a = s.configs[0].webhooks[0].attributes
        #expect(a.events == ["whatsapp.message.received"])
        #expect(a.bufferEnabled == false)
    }

    @Test func loopbackHTTPAndUppercaseIDs() throws {
        let s = try state("""
        version: 1
        configs:
          - whatsapp_config_id: \(configB.uppercased())
            webhooks:
              - url: http://localhost:8080/a
              - url: http://127.0.0.1/b
              - url: http://[::1]:9/c
              - url: HTTPS://Example.com/d
          - whatsapp_config_id: \(configA)
            name: !!str 123
            webhooks: []
        """)
        // Config ids keep their case: requests send them as written.
        #expect(s.configs.map(\.scope.id) == [configA, configB.uppercased()])
        #expect(s.configs[0].name == "123")
        #expect(s.configs[1].webhooks.count == 4)
    }

    @Test func configsMergeAcrossFiles() throws {
        let one = "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    name: shared\n    webhooks:\n      - url: https://a.example.com\n"
        let two = "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA.uppercased())\n    prune: true\n    webhooks:\n      - url: https://b.example.com\n"
        let s = try loadSpecs([("one.yaml", one), ("two.yaml", two)]).get()
        #expect(s.configs.count == 1)
        #expect(s.configs[0].name == "shared")
        #expect(s.configs[0].prune)
        #expect(s.configs[0].webhooks.map(\.url) == ["https://a.example.com", "https://b.example.com"])
        #expect(s.configs[0].webhooks.map(\.location.file) == ["one.yaml", "two.yaml"])
    }

    @Test func collisionAcrossFilesIsReportedAtBothPlaces() {
        let one = "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: https://a.example.com\n"
        let two = "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: https://x.example.com\n      - url: https://a.example.com\n"
        guard case .failure(let failure) = loadSpecs([("one.yaml", one), ("two.yaml", two)]) else {
            Issue.record("collision accepted"); return
        }
        #expect(failure.diagnostics.map(\.description) == [
            "one.yaml:5:9: error: two webhooks of config \(configA) have the same url https://a.example.com; the other is at two.yaml:6:9",
            "two.yaml:6:9: error: two webhooks of config \(configA) have the same url https://a.example.com; the other is at one.yaml:5:9",
        ])
        #expect(failure.diagnostics[0].sourceLine == "      - url: https://a.example.com")
    }

    @Test func errorsOfEveryFileAreCollected() {
        let bad1 = "version: 1\nconfigs: []\nbogus: 1\n"
        let bad2 = "version: 3\nconfigs: []\n"
        guard case .failure(let failure) = loadSpecs([("a.yaml", bad1), ("b.yaml", bad2)]) else {
            Issue.record("accepted"); return
        }
        #expect(failure.diagnostics.map(\.file) == ["a.yaml", "b.yaml"])
    }
}

@Suite struct SpecPathTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func directoryExpandsToSortedYAMLFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, url) in [("b.yml", "https://b.example.com"), ("a.yaml", "https://a.example.com")] {
            let text = "version: 1\nconfigs:\n  - whatsapp_config_id: \(configA)\n    webhooks:\n      - url: \(url)\n"
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try "not yaml".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        #expect(try SpecLoader.expand(dir.path).get() == [dir.path + "/a.yaml", dir.path + "/b.yml"])
        let state = try SpecLoader.load(paths: [dir.path], environment: [:])
        #expect(state.configs[0].webhooks.map(\.url) == ["https://a.example.com", "https://b.example.com"])
    }

    @Test func missingPathsEmptyDirectoriesAndDevicesAreErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try SpecLoader.load(paths: [dir.path, dir.path + "/nope.yaml", "/dev/zero"], environment: [:])
            Issue.record("accepted")
        } catch {
            #expect(error.diagnostics.map(\.description) == [
                "\(dir.path): error: the directory holds no *.yaml or *.yml file",
                "\(dir.path)/nope.yaml: error: no such file or directory",
                "/dev/zero: error: not a regular file",
            ])
        }
    }

    @Test func oversizedFileIsRefusedBeforeReading() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(count: 64)))
        var limits = YAMLLimits()
        limits.maxBytes = 63
        guard case .failure(let problem) = SpecLoader.read(path, limits: limits) else {
            Issue.record("read"); return
        }
        #expect(problem.message == "the file is 64 bytes; the limit is 63 bytes")
    }
}
