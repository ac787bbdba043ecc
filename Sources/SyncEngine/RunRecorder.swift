import Failpoints
import Foundation
import SyncStore

/// Ends a run early with a status of its own (not a failure), e.g. the deletion threshold.
struct RunStop: Error {
    let status: RunStatus
    let message: String
}

/// Where the engine reports events (116, …): the service's event log.
public typealias EventSink = @Sendable (EventRecord) -> Void

/// Keeps one run's history row: created when the run starts, counts and errors as it goes, the final
/// status when it ends. A run whose process died half-way is ended as failed by the next cycle.
final class RunRecorder {
    private let store: any SyncStore
    private(set) var run: RunRecord
    /// The objects counted so far, for the crash-safety tests' progress failpoints (`exported:500`): the one
    /// place every import, sync and export run counts what it did.
    private var progress: RunProgress

    /// Runs `body` as one recorded run: the history row is created first, finished with success (or
    /// completed-with-errors) when `body` returns, and with failed and the error's text when it throws.
    static func record(store: any SyncStore, connector: String, profile: RunProfile,
                       _ body: (RunRecorder) async throws -> Void) async -> RunRecord {
        let recorder: RunRecorder
        do {
            recorder = try RunRecorder(store: store, connector: connector, profile: profile)
        } catch {
            var run = RunRecord(connector: connector, profile: profile, status: .failed)
            run.message = "the run could not be recorded: \(error)"
            return run
        }
        do {
            try await body(recorder)
            return recorder.finish()
        } catch let stop as RunStop {
            return recorder.finish(status: stop.status, message: stop.message)
        } catch {
            return recorder.finish(failure: "\(error)")
        }
    }

    private init(store: any SyncStore, connector: String, profile: RunProfile) throws {
        self.store = store
        progress = RunProgress(Self.failpointRun(profile))
        var run = RunRecord(connector: connector, profile: profile)
        run.id = try store.write { try $0.insert(run) }
        self.run = run
    }

    var id: Int64 { run.id ?? 0 }

    /// A remark kept with the run (why a delta import became a full one, say); never a secret.
    func note(_ text: String) { run.message = text }

    func added(_ count: Int = 1) { run.adds += count; progress.advance(count) }
    func updated(_ count: Int = 1) { run.updates += count; progress.advance(count) }
    func deleted(_ count: Int = 1) { run.deletes += count; progress.advance(count) }

    /// The name a progress failpoint gives this kind of run: full and delta alike.
    static func failpointRun(_ profile: RunProfile) -> ProgressPoint.Run {
        switch profile {
        case .fullImport, .deltaImport: .importing
        case .fullSync, .deltaSync: .syncing
        case .export: .exporting
        }
    }

    /// Records a per-object error inside the caller's transaction.
    func error(_ writer: any StoreWriter, object: String, attribute: String? = nil, _ message: String) throws {
        run.errors += 1
        try writer.add(RunError(runID: id, connector: run.connector, object: object, attribute: attribute, message: message))
    }

    func error(object: String, attribute: String? = nil, _ message: String) throws {
        try store.write { try error($0, object: object, attribute: attribute, message) }
    }

    /// Ends the run: success, or completed-with-errors when objects failed, or failed with `failure`.
    @discardableResult
    func finish(failure: String? = nil) -> RunRecord {
        if let failure { return finish(status: .failed, message: failure) }
        return finish(status: run.errors > 0 ? .completedWithErrors : .success, message: run.message)
    }

    @discardableResult
    func finish(status: RunStatus, message: String?) -> RunRecord {
        run.ended = Date()
        run.status = status
        run.message = message
        // The history row is best effort: a store that cannot be written has already failed the run.
        try? store.write { try $0.update(run) }
        return run
    }
}
