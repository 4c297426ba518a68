import ArgumentParser
import KapsoSimulator

/// The simulator's fault flags (`kapsoctl sim`), as one group: each is a field of ``FaultPlan``.
struct SimFaultOptions: ParsableArguments {
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

    @Option(name: .customLong("pause-after-failures"), help: "Pause a webhook (active: false) after N failed deliveries in a row, as Kapso pauses failing webhooks. Off by default.")
    var pauseAfterFailures: Int?

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
        if let pauseAfterFailures, pauseAfterFailures < 1 { throw ValidationError("--pause-after-failures must be at least 1") }
    }

    /// The plan these flags describe.
    var plan: FaultPlan {
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
        faults.pauseAfterFailures = pauseAfterFailures
        return faults
    }
}
