import Foundation
@testable import KapsoKit
import Testing

@Suite struct PlainVariableTests {
    /// A plain variable is written into the template as a literal (its `${` escaped), a secret stays
    /// a reference: the template resolves again from the environment alone to the same text.
    @Test func plainValuesAreBakedIntoTheTemplate() throws {
        let variables = SpecVariables(environment: ["TOKEN": "tok"], plain: ["TEAM": "a${B}"])
        let result = try Interpolation.expand("Bearer ${TOKEN} ${TEAM}", variables: variables)
        #expect(result.text == "Bearer tok a${B}")
        #expect(result.template == "Bearer ${TOKEN} a$${B}")
        #expect(result.values == ["tok"], "only the environment's value is a secret")
        let again = try Interpolation.expand(result.template, variables: SpecVariables(environment: ["TOKEN": "tok"]))
        #expect(again.text == result.text)
        let plainOnly = try Interpolation.expand("${TEAM}", variables: variables)
        #expect(!plainOnly.usedVariables, "a value from plain variables alone is not sensitive")
    }
}

@Suite struct DeliveriesClientTests {
    private func client(_ base: String) -> KapsoClient {
        KapsoClient(baseURL: URL(string: base)!, apiKey: "k", transport: CurlTransport())
    }

    /// The delivery history is the Platform API's: a legacy client asks Kapso's Platform host (the
    /// default URL) or the same origin's `/platform/v1` (the simulator's `/api/v1`); any other base
    /// URL is refused in words rather than guessed.
    @Test func theHistoryIsReadOnThePlatformAPI() throws {
        #expect(try client(KapsoClient.defaultBaseURL).deliveriesClient().baseURL.absoluteString == KapsoClient.defaultPlatformURL)
        #expect(try client("http://127.0.0.1:9/api/v1/").deliveriesClient().baseURL.absoluteString == "http://127.0.0.1:9/platform/v1")
        #expect(try client("https://api.kapso.ai/platform/v1").deliveriesClient().baseURL.absoluteString == "https://api.kapso.ai/platform/v1")
        #expect(throws: ClientConfigurationError.self) { try client("https://proxy.example.com/kapso").deliveriesClient() }
    }
}
