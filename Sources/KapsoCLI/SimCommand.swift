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

    @Option(name: .customLong("latency-ms"), help: "Delay before every API answer, in milliseconds.")
    var latencyMilliseconds = 0

    @Option(name: .customLong("write-latency-ms"), help: "Further delay before every answer to a write (POST, PATCH, DELETE), in milliseconds.")
    var writeLatencyMilliseconds = 0

    @Option(name: .customLong("rate-limit-first"), help: "Answer the first N API requests with 429.")
    var rateLimitFirst = 0

    @Option(name: .customLong("rate-limit-fraction"), help: "Answer this fraction (0..1) of API requests with 429.")
    var rateLimitFraction = 0.0

    @Option(name: .customLong("retry-after"), help: ArgumentHelp("Retry-After seconds of an injected 429, or 'none' to send no Retry-After.", valueName: "seconds|none"))
    var retryAfter = "1"

    @Option(name: .customLong("requests-per-minute"), help: "Enforce a real limit of N API requests per 60 s, with X-RateLimit-* headers.")
    var requestsPerMinute: Int?

    @Option(name: .customLong("server-error-first"), help: "Answer the N API requests after the rate-limited ones with 503.")
    var serverErrorFirst = 0

    @Option(name: .customLong("server-error-fraction"), help: "Answer this fraction (0..1) of API requests with 503.")
    var serverErrorFraction = 0.0

    @Option(name: .customLong("drop-before-write"), help: "Drop the connection of the first N writes without storing them.")
    var dropBeforeWrite = 0

    @Option(name: .customLong("drop-after-write"), help: "Store the next N writes, then drop their connection without an answer.")
    var dropAfterWrite = 0

    @Option(name: .customLong("list-shift"), help: "The first N times page 1 of a multi-page webhook list is served, delete the config's newest webhook right after.")
    var listShift = 0

    @Option(name: .customLong("concurrent-create"), help: "Before each of the first N creates, store an identical webhook one second older (a concurrent apply).")
    var concurrentCreate = 0

    @Option(name: .customLong("fault-seed"), help: "Seed of the generator behind the fault fractions.")
    var faultSeed: UInt64 = 1

    func validate() throws {
        for (name, value) in [("--rate-limit-fraction", rateLimitFraction), ("--server-error-fraction", serverErrorFraction)]
        where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        for (name, value) in [("--latency-ms", latencyMilliseconds), ("--write-latency-ms", writeLatencyMilliseconds),
                              ("--rate-limit-first", rateLimitFirst),
                              ("--server-error-first", serverErrorFirst),
                              ("--drop-before-write", dropBeforeWrite), ("--drop-after-write", dropAfterWrite),
                              ("--list-shift", listShift), ("--concurrent-create", concurrentCreate)]
        where value < 0 {
            throw ValidationError("\(name) must not be negative")
        }
        guard retryAfter == "none" || (Int(retryAfter) ?? -1) >= 0 else {
            throw ValidationError("--retry-after must be a number of seconds (0 or more) or 'none'")
        }
        if let requestsPerMinute, requestsPerMinute < 1 { throw ValidationError("--requests-per-minute must be at least 1") }
    }

    func run() async throws {
        let key = (apiKey ?? ProcessInfo.processInfo.environment["KAPSO_API_KEY"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw CommandError("error: the simulator needs an API key: pass --api-key or set KAPSO_API_KEY")
        }
        var faults = FaultPlan()
        faults.latencyMilliseconds = latencyMilliseconds
        faults.writeLatencyMilliseconds = writeLatencyMilliseconds
        faults.rateLimitFirst = rateLimitFirst
        faults.rateLimitFraction = rateLimitFraction
        faults.retryAfterSeconds = Int(retryAfter)
        faults.requestsPerMinute = requestsPerMinute
        faults.serverErrorFirst = serverErrorFirst
        faults.serverErrorFraction = serverErrorFraction
        faults.dropBeforeWriteFirst = dropBeforeWrite
        faults.dropAfterWriteFirst = dropAfterWrite
        faults.listShiftFirst = listShift
        faults.concurrentCreateFirst = concurrentCreate
        faults.seed = faultSeed
        var initial = SimulatorSeed.empty
        if let seed { initial = try SimulatorSeed.load(path: seed) }
        let simulator = try KapsoSimulator(seed: initial, apiKey: key, faults: faults, host: host, port: port)
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
