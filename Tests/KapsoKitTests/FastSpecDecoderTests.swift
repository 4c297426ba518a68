import Foundation
import Testing
@testable import KapsoKit

/// The fast path of spec loading (``FastSpecDecoder``): it must take the specs real teams write,
/// give way to the tree decoder for the rest, and agree with it exactly. (Every spec test compares
/// both paths through `loadSpecs`; the fuzz test does on thousands of mutations.)
@Suite struct FastSpecDecoderTests {
    private let environment = ["ACME_WEBHOOK_SECRET": "a", "ACME_HOOK_TOKEN": "b", "ACME_SALES_SECRET": "c",
                               "EXAMPLE_WEBHOOK_SECRET": "d", "EXAMPLE_API_KEY": "e", "ACME_META_SECRET": "f",
                               "ACME_PROJECT_SECRET": "g", "S": "s3cret", "T": "t0ken", "RECEIVER_PORT": "8080", "RECEIVER_SECRET": "r"]

    private func fast(_ yaml: String) -> SpecFileContent? {
        FastSpecDecoder.decode(SourceText(path: "spec.yaml", bytes: Array(yaml.utf8)), variables: SpecVariables(environment: environment), limits: .standard)
    }

    @Test func ordinalsMatchTheTable() {
        typealias O = FastSpecDecoder.Ordinal
        #expect(O.url == Attribute.url.ordinal && O.kind == Attribute.kind.ordinal && O.payloadVersion == Attribute.payloadVersion.ordinal)
        #expect(O.secretKey == Attribute.secretKey.ordinal && O.events == Attribute.events.ordinal)
        #expect(O.headers == Attribute.headers.ordinal && O.bufferEvents == Attribute.bufferEvents.ordinal)
        #expect(Attribute.all.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
        let bits = WebhookDecl.notForMeta.attributes.reduce(UInt32(0)) { $0 | 1 << $1.ordinal }
        #expect(bits == O.notForMeta)
    }

    /// What real specs use goes the fast way, and comes out as the tree decoder decodes it.
    @Test(arguments: [
        "version: 1\ndefaults: {secret_key: \"${S}\", headers: {X-Source: kapso}}\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    name: 'support'\n    prune: true\n    webhooks:\n      - url: https://a.example.com/x\n        events: [whatsapp.message.received]\n        headers: {Authorization: \"Bearer ${T}\", X-Source: other}\n        buffer_enabled: true\n        buffer_window_seconds: 7\n        buffer_events: [whatsapp.message.received]\n      - {url: \"https://b.example.com/${T}\", id: 9E8D7C6B-5A4F-3E2D-1C0B-9A8F7E6D5C4B, events: [whatsapp.message.sent], active: false, headers: ~}\n",
        "version: 1\napi: platform\nextra_events: [whatsapp.message.reacted]\ndefaults:\n  secret_key: ${S}\n  events: [whatsapp.message.received]\nphone_numbers:\n  - phone_number_id: \"1234567890\"\n    webhooks:\n      - url: https://a.example.com/meta\n        kind: meta\n      - url: https://a.example.com/k\n        payload_version: v1\n        events: [whatsapp.message.reacted, whatsapp.message.sent]\nproject:\n  webhooks:\n    - url: https://ops.example.com/p\n      events: [workflow.execution.failed]\n",
        "version: 1\nconfigs: []\n",
    ])
    func realSpecsGoTheFastWay(_ yaml: String) {
        #expect(fast(yaml) != nil, "fell back")
        _ = loadSpecs([("spec.yaml", yaml)], environment: environment)
    }

    /// Every spec in the repository loads the same both ways; those without anchors (which are the
    /// tree decoder's) go the fast way.
    @Test func theRepositorysSpecsGoTheFastWay() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("examples").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "examples/" + $0 }
        #expect(examples.count >= 5)
        for path in ["webhooks.yaml"] + examples {
            let yaml = try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            if !yaml.contains("&") { #expect(fast(yaml) != nil, "\(path) fell back") }
            _ = loadSpecs([(path, yaml)], environment: environment)
        }
    }

    /// The rest is the tree decoder's: anchors, merge keys, tags, extension keys, errors, unset
    /// variables, keys out of the needed order.
    @Test(arguments: [
        "version: 1\nx-common: &c {active: true}\nconfigs: []\n",
        "version: 1\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n      - {<<: {active: true}, url: https://a.example.com}\n",
        "version: 1\nconfigs: !!seq []\n",
        "version: 1\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n      - {url: https://a.example.com, secret_key: \"${UNSET}\"}\n",
        "configs: []\nversion: 1\napi: legacy\n",
        "version: 1\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n      - {url: http://public.example.com}\n",
        "version: 1\nconfigs:\n  - whatsapp_config_id: 4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d\n    webhooks:\n      - {url: https://a.example.com, active: yes}\n",
        "version: 1\nconfigs: []\n---\nversion: 1\n",
    ])
    func theRestGoesToTheTreeDecoder(_ yaml: String) {
        #expect(fast(yaml) == nil, "the fast path took it")
        _ = loadSpecs([("spec.yaml", yaml)], environment: environment)
    }

    /// A byte-level URL check that says yes must mean the full check says yes.
    @Test(arguments: ["https://a.example.com", "https://a.example.com/x/y_z-1.2~3", "https://hooks0.example.com/whatsapp/0/receive",
                      "https://a..b/", "https://-a/"])
    func plainURLsPassTheFullCheck(_ url: String) {
        #expect(FastSpecDecoder.plainHTTPSURL(url))
        #expect(SpecFileDecoder.urlProblem(url) == nil)
    }

    @Test(arguments: ["http://a.example.com", "https://A.example.com", "https://a.example.com:8443/x", "https://u@a.example.com",
                      "https://a.example.com/%41", "https://a.example.com/x?y=1", "https://"])
    func otherURLsGetTheFullCheck(_ url: String) {
        #expect(!FastSpecDecoder.plainHTTPSURL(url))
    }
}
