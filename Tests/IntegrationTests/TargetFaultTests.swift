import Foundation
import IDSyncTesting
import Testing

/// A fault-injecting proxy in front of scim2-server: 20 % errors (500, 503 and 429 with Retry-After),
/// dropped connections before and after the server acted, latency spikes and malformed JSON. idsync keeps
/// errors per object, never crashes, and repeated runs converge to exactly the source.
@Suite("Target faults: a fault-injecting proxy", .hangGuard)
struct TargetFaultTests {
    @Test(arguments: [true, false])
    func convergesThroughFaults(bulk: Bool) async throws {
        // Without Bulk each object is a request of its own through the proxy, to one single-threaded scim2-server:
        // 400 users made one sync outlast the harness's 600 s per command on a loaded machine (two test runs and
        // four busy loops beside it), and 150 still meet well over a hundred faults.
        let directory = try await BulkDirectory.make(users: bulk ? 400 : 150, groups: 10, membersPerGroup: 30)
        try await withCleanup { cleanup in
            cleanup.add { await directory.stop() }
            let proxy = try await FaultProxy(upstream: directory.scim.url, plan: .issue7, seed: bulk ? 11 : 12)
            cleanup.add { try await proxy.stop() }
            let install = try directory.installation(scimURL: proxy.url, extraSCIM: bulk ? "" : "    bulk: false")

            // Runs until the source has converged AND enough faults were injected to prove anything: with Bulk a
            // cycle makes few requests, so converged cycles go on meeting faults (and must stay converged).
            var runs: [ProcessResult] = []
            for _ in 0..<40 {
                let run = try await install.idsync(["sync"])
                runs.append(run)
                // 0: all done; 2: some objects failed (and are retried); 1: the run stopped — never a crash.
                #expect([0, 1, 2].contains(run.status), "exit \(run.status): \(run.output)")
                #expect(!run.output.contains("Fatal error") && !run.output.contains("Program crashed"), "\(run.output)")
                if run.status == 0 && runs.count > 1 && proxy.injected.values.reduce(0, +) >= 20 { break }
            }
            let injected = proxy.injected
            print("target faults (bulk \(bulk)): \(runs.count) runs; injected \(injected.values.reduce(0, +)) faults: "
                  + injected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
                  + "; \(proxy.forwarded) requests forwarded; exits \(runs.map(\.status))")
            #expect(runs.last?.status == 0, "did not converge in \(runs.count) runs: \(runs.last?.output ?? "")")
            #expect(injected.values.reduce(0, +) >= 20, "too few faults injected to prove anything")
            // The faults must have hit something. Without Bulk they fail single objects (exit 2). With Bulk, a
            // request that failed as a whole is read again and resent within the run, so what the faults still
            // fail are the calls a whole run needs (exit 1).
            let hit = runs.filter { bulk ? $0.status != 0 : $0.status == 2 }
            #expect(!hit.isEmpty, "no run was hurt by the faults, so they were not seen: exits \(runs.map(\.status))")
            let problems = try await directory.convergence()
            #expect(problems.isEmpty, "\(problems)")
            #expect(try directory.scim.requests().filter { $0.method == "DELETE" }.isEmpty, "spurious deletes")
        }
    }
}
