// Benchmarks for kapsoctl. Every figure is printed as a ratio to a floor measured in the same run,
// never as a pass/fail timing: the machines are shared and noisy.
//
//   swift run -c release kapsoctl-bench            spec loading, start-up, plan reads
//   swift run -c release kapsoctl-bench --long     also apply against a real rate limit (~1.5 min)
//
// Whole processes are measured (the built `kapsoctl` and the C floor `kapsoctl-yaml-floor`, both
// next to this binary): wall time from spawn to exit, and peak memory (ru_maxrss).
import Foundation
import KapsoKit
import KapsoSimulator

// MARK: - Processes

struct ProcessRun {
    var seconds: Double
    /// Peak resident memory, bytes.
    var peakBytes: Int
    var status: Int32
}

/// GNU time, when present: it forks (not vfork) a fresh child, so that child's peak memory is its
/// own. A child spawned straight from this process (posix_spawn shares our memory until exec)
/// would report this process's resident size as its peak.
let gnuTime = FileManager.default.isExecutableFile(atPath: "/usr/bin/time") ? "/usr/bin/time" : nil

/// Runs `path` with `arguments` and exactly `environment`, stdout and stderr discarded.
func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:]) -> ProcessRun {
    guard let gnuTime else { return spawnDirectly(path, arguments, environment: environment, peakFile: nil) }
    let peakFile = scratch.appendingPathComponent("peak-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: peakFile) }
    var run = spawnDirectly(gnuTime, ["-f", "%M", "-o", peakFile, path] + arguments, environment: environment, peakFile: peakFile)
    let kilobytes = (try? String(contentsOfFile: peakFile, encoding: .utf8))?.split(separator: "\n").last.flatMap { Int($0) } ?? 0
    run.peakBytes = kilobytes * 1024
    return run
}

func spawnDirectly(_ path: String, _ arguments: [String], environment: [String: String], peakFile: String?) -> ProcessRun {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let start = DispatchTime.now().uptimeNanoseconds
    guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else { fatalError("cannot run \(path)") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return ProcessRun(seconds: seconds, peakBytes: Int(usage.ru_maxrss) * 1024, status: (status >> 8) & 0xFF)
}

/// Median time and peak memory of `runs` runs; every run must exit `expecting`.
func measure(runs: Int, expecting: Int32 = 0, _ body: () -> ProcessRun) -> (seconds: Double, peakBytes: Int) {
    var times: [Double] = []
    var peak = 0
    for _ in 0..<runs {
        let run = body()
        precondition(run.status == expecting, "a benchmark run exited \(run.status)")
        times.append(run.seconds)
        peak = max(peak, run.peakBytes)
    }
    return (times.sorted()[runs / 2], peak)
}

/// A run of `body` against a run of `floor`, alternately, `runs` times: each side's median time
/// and peak, and the median of the pairs' ratios. A shared machine's speed drifts (a floor of
/// 60 ms in one minute, 110 ms in the next): a ratio of runs made side by side drifts far less
/// than one of two medians taken apart.
func measurePaired(runs: Int, floor: () -> ProcessRun, _ body: () -> ProcessRun)
    -> (floor: (seconds: Double, peakBytes: Int), run: (seconds: Double, peakBytes: Int), ratio: Double) {
    var floors: [Double] = [], times: [Double] = [], ratios: [Double] = []
    var floorPeak = 0, peak = 0
    for _ in 0..<runs {
        let base = floor()
        let run = body()
        precondition(base.status == 0 && run.status == 0, "a benchmark run exited \(base.status), \(run.status)")
        floors.append(base.seconds)
        times.append(run.seconds)
        ratios.append(run.seconds / base.seconds)
        floorPeak = max(floorPeak, base.peakBytes)
        peak = max(peak, run.peakBytes)
    }
    return ((floors.sorted()[runs / 2], floorPeak), (times.sorted()[runs / 2], peak), ratios.sorted()[runs / 2])
}

let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let kapsoctl = here.appendingPathComponent("kapsoctl").path
let floorTool = here.appendingPathComponent("kapsoctl-yaml-floor").path
let long = CommandLine.arguments.contains("--long")
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kapsoctl-bench-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func ms(_ seconds: Double) -> String { String(format: "%7.1f ms", seconds * 1000) }
func mb(_ bytes: Int) -> String { bytes == 0 ? "     n/a" : String(format: "%6.1f MB", Double(bytes) / 1_000_000) }

// MARK: - Spec loading

/// A realistic spec of `configs` × `perConfig` webhooks, every attribute set, `${VAR}` secrets.
func makeSpec(configs: Int, perConfig: Int) -> String {
    var out = "version: 1\ndefaults:\n  active: true\n  headers:\n    X-Source: kapso\nconfigs:\n"
    for c in 0..<configs {
        let id = String(format: "%08x-0000-4000-8000-%012x", c, c)
        out += "  - whatsapp_config_id: \(id)\n    name: config \(c)\n    webhooks:\n"
        for w in 0..<perConfig {
            out += """
                  - url: https://hooks\(c).example.com/whatsapp/\(w)/receive
                    secret_key: ${BENCH_SECRET}
                    events: [whatsapp.message.received, whatsapp.message.sent, whatsapp.message.delivered, whatsapp.message.read]
                    headers: {X-Team: team-\(c), X-Env: production, Authorization: "Bearer ${BENCH_TOKEN}"}
                    buffer_enabled: true
                    buffer_window_seconds: 5
                    max_buffer_size: 50
                    buffer_events: [whatsapp.message.received]
                    inactivity_minutes: 60

            """
        }
    }
    return out
}

let specEnvironment = ["BENCH_SECRET": "s", "BENCH_TOKEN": "t"]
/// The static binary `scripts/release` builds, when it has been built.
let archive = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build-release/release/kapsoctl").path
let hasArchive = FileManager.default.isExecutableFile(atPath: archive)
// What the process holds doing nothing (`--version`): its libraries and runtime, not the spec's data.
let idle = measure(runs: 5) { spawn(kapsoctl, ["--version"]) }.peakBytes
print("spec loading, whole process: `kapsoctl validate` against the floor, libyaml's bare event loop in C")
print("  (`kapsoctl-yaml-floor`: reads the file, parses every event, counts them), on the same file, run by turns;")
print("  ratio: the median of the ratios of side-by-side runs;")
print("  memory / file: the peak, and the peak above kapsoctl's idle \(mb(idle).trimmingCharacters(in: .whitespaces)) (`--version`), over the file's size")
print("  webhooks      file    floor                kapsoctl validate              ratio   memory / file")
var smallSpec = ""
for count in [100, 1_000, 10_000, 50_000] {
    let file = scratch.appendingPathComponent("spec-\(count).yaml").path
    let text = makeSpec(configs: max(1, count / 100), perConfig: min(count, 100))
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    if count == 100 { smallSpec = file }
    let runs = count >= 50_000 ? 5 : 9
    let paired = measurePaired(runs: runs, floor: { spawn(floorTool, [file]) }) {
        spawn(kapsoctl, ["validate", "-f", file], environment: specEnvironment)
    }
    let (floor, full) = (paired.floor, paired.run)
    print(String(format: "  %8d  %@  %@ %@   %@ %@   %5.2f×   %5.1f× (above idle %4.1f×)", count, mb(text.utf8.count), ms(floor.seconds),
                 mb(floor.peakBytes), ms(full.seconds), mb(full.peakBytes), paired.ratio,
                 Double(full.peakBytes) / Double(text.utf8.count), Double(max(0, full.peakBytes - idle)) / Double(text.utf8.count)))
    if hasArchive, count >= 10_000 {
        // The binary users install: static libraries, a smaller idle process.
        let release = measurePaired(runs: 5, floor: { spawn(floorTool, [file]) }) {
            spawn(archive, ["validate", "-f", file], environment: specEnvironment)
        }
        print(String(format: "            release archive (static):           %@ %@   %5.2f×   %5.1f×", ms(release.run.seconds), mb(release.run.peakBytes),
                     release.ratio, Double(release.run.peakBytes) / Double(text.utf8.count)))
    }
}

// MARK: - Start-up

print("start-up (median of 21): against spawning /bin/true")
let nothing = measure(runs: 21) { spawn("/bin/true", []) }
print("  /bin/true:                             \(ms(nothing.seconds))")
var binaries = [("this build", kapsoctl)]
if hasArchive { binaries.append(("release archive (static)", archive)) }
for (name, binary) in binaries {
    let version = measure(runs: 21) { spawn(binary, ["--version"]) }
    let validate = measure(runs: 21) { spawn(binary, ["validate", "-f", smallSpec], environment: specEnvironment) }
    print(String(format: "  %-26@ --version %@ (%.1f× /bin/true), validate of 100 webhooks %@",
                 name, ms(version.seconds), version.seconds / nothing.seconds, ms(validate.seconds)))
}
if binaries.count == 1 { print("  (bash scripts/release builds the static binary; run again to measure it)") }

// MARK: - Plan reads, whole process

/// `kapsoctl plan` over a project of `configs` configs of 3 webhooks, answering in `latencyMs`,
/// counted from process start. The floor is the ideal bound: ceil(requests ÷ parallelism) ×
/// latency, requests counted by the simulator — for the Platform API, whose lists (webhooks and
/// phone numbers) are read side by side, each as its first page and then its other pages up to
/// `parallelism` at once: issue 18's bound, the sum over the two lists of
/// latency × (1 + ceil((pages − 1) ÷ parallelism)).
func planRun(api: APIGeneration, scopes: Int, parallelism: Int, latencyMs: Int, binary: String = kapsoctl,
             runs: Int = 3) async throws -> (seconds: Double, floor: Double, requests: Int) {
    let hooks: (Int) -> [JSONValue] = { c in
        (0..<3).map { w in
            .object(["url": .string("https://hooks\(c).example.com/\(w)"), "secret_key": .string("s"),
                     "events": .array([.string("whatsapp.message.received")])])
        }
    }
    var spec = "version: 1\n"
    let seed: SimulatorSeed
    switch api {
    case .legacy:
        seed = SimulatorSeed(configs: (0..<scopes).map { c in
            SimulatorSeed.Config(id: String(format: "%08x-0000-4000-8000-%012x", c, c), webhooks: hooks(c))
        })
        spec += "configs:\n"
        for c in 0..<scopes {
            spec += "  - whatsapp_config_id: \(String(format: "%08x-0000-4000-8000-%012x", c, c))\n    webhooks:\n"
            for w in 0..<3 { spec += "      - {url: \"https://hooks\(c).example.com/\(w)\", events: [whatsapp.message.received]}\n" }
        }
    case .platform:
        seed = SimulatorSeed(phoneNumbers: (0..<scopes).map { c in
            SimulatorSeed.PhoneNumber(phoneNumberID: String(1_000_000 + c), webhooks: hooks(c))
        })
        spec += "api: platform\nphone_numbers:\n"
        for c in 0..<scopes {
            spec += "  - phone_number_id: \"\(1_000_000 + c)\"\n    webhooks:\n"
            for w in 0..<3 { spec += "      - {url: \"https://hooks\(c).example.com/\(w)\", events: [whatsapp.message.received]}\n" }
        }
    }
    let file = scratch.appendingPathComponent("plan-\(api.rawValue)-\(scopes).yaml").path
    try spec.write(toFile: file, atomically: true, encoding: .utf8)
    var faults = FaultPlan()
    faults.latencyMilliseconds = latencyMs
    let simulator = try KapsoSimulator(seed: seed, apiKey: "bench", faults: faults)
    let url = try await simulator.start()
    let base = api == .legacy ? url.absoluteString : url.absoluteString.replacingOccurrences(of: "/api/v1", with: "/platform/v1")
    var times: [Double] = []
    var journal: [JournalEntry] = []
    for _ in 0..<runs {
        await simulator.store.clearJournal()
        let run = spawn(binary, ["plan", "-f", file, "--parallelism", String(parallelism)],
                        environment: ["KAPSO_API_KEY": "bench", "KAPSO_API_URL": base])
        precondition(run.status == 0, "plan failed")
        times.append(run.seconds)
        journal = await simulator.store.journal()
    }
    await simulator.stop()
    let rounds = switch api {
    case .legacy: (journal.count + parallelism - 1) / parallelism
    case .platform: Dictionary(grouping: journal, by: \.path).values.map { 1 + ($0.count - 1 + parallelism - 1) / parallelism }.reduce(0, +)
    }
    return (times.sorted()[runs / 2], Double(rounds * latencyMs) / 1000, journal.count)
}

print("plan, whole process, 300 WhatsApp configs of 3 webhooks, the server answering in 20 ms (median of 3);")
print("  floor = the ideal bound, ceil(requests ÷ parallelism) × 20 ms")
for parallelism in [8, 16, 32] {
    let run = try await planRun(api: .legacy, scopes: 300, parallelism: parallelism, latencyMs: 20)
    print(String(format: "  parallelism %2d: %d requests, %@, floor %@ = %.2f× floor", parallelism, run.requests,
                 ms(run.seconds), ms(run.floor), run.seconds / run.floor))
}
print("plan, Platform API, 300 phone numbers of 3 webhooks, 20 ms: the project's webhooks are one list, so")
print("  requests are pages (100 a page) whatever the count of numbers; floor = the sum over the two lists of")
print("  20 ms × (1 + ceil((pages − 1) ÷ parallelism)): each list's first page, then the rest at once")
print("  (median of 7; the release archive's binary too, when built: what users install)")
for (name, binary) in binaries {
    let run = try await planRun(api: .platform, scopes: 300, parallelism: 8, latencyMs: 20, binary: binary, runs: 7)
    print(String(format: "  parallelism  8, %-24@ %d requests (phone numbers and webhooks), %@, floor %@ = %.2f× floor",
                 name + ":", run.requests, ms(run.seconds), ms(run.floor), run.seconds / run.floor))
}

// MARK: - Apply against a real rate limit

if long {
    // 900 updates at 600 requests a minute, a sliding window: the floor is the limit itself — the
    // 601st accepted request cannot go before the first is a minute old, so 60 s per 600 accepted
    // after the first 600.
    let seedHooks = (0..<900).map { i in
        JSONValue.object(["url": .string("https://hooks.example.com/\(i)"), "secret_key": .string("s"),
                          "events": .array([.string("whatsapp.message.received")]), "active": .bool(false)])
    }
    let config = "4a5b6c7d-8e9f-0a1b-2c3d-4e5f6a7b8c9d"
    var spec = "version: 1\nconfigs:\n  - whatsapp_config_id: \(config)\n    webhooks:\n"
    for i in 0..<900 { spec += "      - {url: \"https://hooks.example.com/\(i)\", active: true}\n" }
    let file = scratch.appendingPathComponent("apply-900.yaml").path
    try spec.write(toFile: file, atomically: true, encoding: .utf8)
    var faults = FaultPlan()
    faults.requestsPerMinute = 600
    let simulator = try KapsoSimulator(seed: SimulatorSeed(configs: [SimulatorSeed.Config(id: config, webhooks: seedHooks)]),
                                       apiKey: "bench", faults: faults)
    let url = try await simulator.start()
    let run = spawn(kapsoctl, ["apply", "-f", file, "--auto-approve"], environment: ["KAPSO_API_KEY": "bench", "KAPSO_API_URL": url.absoluteString])
    let journal = await simulator.store.journal()
    await simulator.stop()
    let refused = journal.filter { $0.status == 429 }.count
    let floor = 60 * Double((journal.count - refused - 1) / 600)
    print(String(format: "apply: 900 updates against a real limit of 600 a minute: %.1f s (exit %d), %d requests, %d answered 429; floor %.1f s = %.2f× floor",
                 run.seconds, run.status, journal.count, refused, floor, run.seconds / floor))
}
