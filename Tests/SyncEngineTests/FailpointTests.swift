import Failpoints
import Testing
@testable import SyncEngine

/// The crash-safety tests' progress failpoints (`imported:N`, `synced:N`, `exported:N`): what a setting
/// names, and the one count at which a run of that kind dies — the kill itself is the integration test's.
@Suite("Failpoints: run progress")
struct FailpointTests {
    @Test("a run's name and a count from 1 make a progress point; step points and typos do not")
    func parsing() {
        #expect(ProgressPoint("imported:1") == ProgressPoint(.importing, count: 1))
        #expect(ProgressPoint("synced:2500") == ProgressPoint(.syncing, count: 2500))
        #expect(ProgressPoint("exported:40") == ProgressPoint(.exporting, count: 40))
        for text in ["import:4", "rotate:6", "change-password:2", "exported:0", "exported:-3", "exported:x",
                     "exported", "exported:", "exported:5:1", ":5", ""] {
            #expect(ProgressPoint(text) == nil, "\(text)")
        }
        #expect(ProgressPoint.Run.allCases.allSatisfy { ProgressPoint(ProgressPoint($0, count: 7).setting)?.run == $0 })
    }

    @Test("an armed run fires once, at the object that reaches the count, per object or by a batch passing it")
    func firesOnceAtTheCount() {
        var single = RunProgress(.exporting, armed: "exported:3")
        #expect([1, 1, 1, 1, 1].map { single.add($0) } == [false, false, true, false, false])
        #expect(single.count == 5)

        var batched = RunProgress(.importing, armed: "imported:10")
        #expect([4, 0, 4, 4, 500].map { batched.add($0) } == [false, false, false, true, false])

        var exact = RunProgress(.syncing, armed: "synced:8")
        #expect([8, 1].map { exact.add($0) } == [true, false])
    }

    @Test("a point for another kind of run, a step point or none leaves the run alone")
    func otherRunsNeverFire() {
        for (run, armed) in [(ProgressPoint.Run.importing, "exported:1"), (.exporting, "synced:1"), (.syncing, "imported:1"),
                             (.importing, "import:4"), (.exporting, nil)] as [(ProgressPoint.Run, String?)] {
            var progress = RunProgress(run, armed: armed)
            #expect(progress.killAt == nil)
            #expect(!(0..<20).contains { _ in progress.add(1) }, "\(run) with \(armed ?? "nothing")")
        }
    }

    @Test("full and delta runs of a kind share its name")
    func profilesMapToRuns() {
        #expect(RunRecorder.failpointRun(.fullImport) == .importing)
        #expect(RunRecorder.failpointRun(.deltaImport) == .importing)
        #expect(RunRecorder.failpointRun(.fullSync) == .syncing)
        #expect(RunRecorder.failpointRun(.deltaSync) == .syncing)
        #expect(RunRecorder.failpointRun(.export) == .exporting)
    }
}
