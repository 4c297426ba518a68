import Foundation
import KapsoSimulator

/// Starts a simulator on a free loopback port (holding one of the suite's server slots), runs
/// `body` with it and its API base URL, and stops it on every path.
public func withRunningSimulator<T>(seed: SimulatorSeed = .empty, apiKey: String, faults: FaultPlan = .none,
                                    _ body: (KapsoSimulator, URL) async throws -> T) async throws -> T {
    try await withServerSlot {
        let simulator = try KapsoSimulator(seed: seed, apiKey: apiKey, faults: faults)
        let url = try await simulator.start()
        do {
            let result = try await body(simulator, url)
            await simulator.stop()
            return result
        } catch {
            await simulator.stop()
            throw error
        }
    }
}
