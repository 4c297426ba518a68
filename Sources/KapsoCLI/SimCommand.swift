import ArgumentParser
import Foundation
import KapsoSimulator

/// `kapsoctl sim`: the local Kapso-compatible simulator.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the local Kapso-compatible simulator (legacy and Platform webhook APIs) on loopback.",
        discussion: """
        Prints 'listening on http://HOST:PORT/api/v1' as its first line and 'platform API on \
        http://HOST:PORT/platform/v1' as its second, then serves until stopped \
        (Ctrl-C or SIGTERM). Test endpoints: GET/DELETE /__sim/journal, GET /__sim/state, PUT /__sim/faults.
        """
    )

    @Option(help: "IPv4 loopback address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port: UInt16 = 0

    @Option(help: ArgumentHelp("Initial state: JSON (or YAML) {\"configs\": {\"<uuid>\": [webhooks...]}}.", valueName: "file"))
    var seed: String?

    @Option(name: .customLong("api-key"), help: "The key clients must send in X-API-Key (default: $KAPSO_API_KEY).")
    var apiKey: String?

    @OptionGroup(title: "Faults") var faults: SimFaultOptions

    func run() async throws {
        let key = (apiKey ?? ProcessInfo.processInfo.environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw CommandError("error: the simulator needs an API key: pass --api-key or set KAPSO_API_KEY")
        }
        var initial = SimulatorSeed.empty
        if let seed { initial = try SimulatorSeed.load(path: seed) }
        let simulator = try KapsoSimulator(seed: initial, apiKey: key, faults: faults.plan, host: host, port: port)
        let url = try await simulator.start()
        // Written unbuffered: scripts and tests wait for this line to learn the port.
        Console.output("listening on \(url.absoluteString)")
        // The legacy line stays first and unchanged, for scripts that read it.
        Console.output("platform API on \(KapsoSimulator.platformURL(from: url).absoluteString)")
        while !Task.isCancelled {
            try await Task.sleep(nanoseconds: 3_600_000_000_000)
        }
    }
}
