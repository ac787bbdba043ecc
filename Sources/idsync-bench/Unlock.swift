import ArgumentParser
import Foundation
import SyncStore
import Vault

/// The vault unlock cost: the server key unwrapped with the standard scrypt parameters, in this build.
struct Unlock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time unlocking the server encryption key (scrypt + unwrap).")
    @Option(name: .customLong("repeat"), help: "Repetitions.") var repetitions = 5

    func run() throws {
        let directory = NSTemporaryDirectory() + "idsync-bench-unlock-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = KeyManager(storage: try Stores.open(path: directory + "/v.sqlite"))
        _ = try keys.unlockOrCreate(servicePassword: "bench password")
        let clock = ContinuousClock()
        var times: [Double] = []
        for _ in 0..<repetitions {
            let start = clock.now
            _ = try keys.unlock(servicePassword: "bench password")
            let elapsed = clock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        print(String(format: "%.3f", times.sorted()[times.count / 2]))
    }
}
