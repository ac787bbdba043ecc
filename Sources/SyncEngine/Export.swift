import Foundation
import Logging
import SCIM
import SyncStore

/// The export run profile: applies the target connector's pending exports, a batch at a time — through
/// SCIM Bulk where the server offers it, with bounded concurrency where it does not — and stores each
/// batch's outcome in one transaction. Users go before groups (a group's members must exist first) and
/// deletes go last. A new object that refers to another one not created yet waits for it, so it is created
/// complete in one request; where references form a cycle, it is created without them and a later pass
/// adds them once they exist.
///
/// This file is the run: the deletion threshold, the phases and passes, and the walk over the pending
/// exports. Each batch goes through three pieces: `ExportPlanner` (ExportPlan.swift) turns a pending export
/// into a request, `ExportSender` (ExportSender.swift) sends the requests, `ExportRecording`
/// (ExportRecording.swift) stores what became of them.
struct Export {
    let store: any SyncStore
    let target: any ExportTarget
    let logger: Logger
    /// The most deletions one export may send; more stops it before it sends anything.
    let deletionLimit: Int
    /// `deprovision: disable`: objects disabled longer than this are deleted; nil: never.
    var deleteAfter: Duration?
    /// Records event 116 when the limit stops the export.
    let events: EventSink
    /// The attributes the outbound rules in force for this target write, per object type (canonical SCIM
    /// paths, `RuleSet.managedAttributes(connector:)`): a PATCH touches nothing else. Nil: the built-in ones.
    var managed: [ObjectType: Set<String>]?
    /// Pending exports prepared, sent and recorded together (one store transaction per batch)…
    var batchSize = 1000
    /// …and at most this many attribute values in them: a batch of large groups (members with their URIs)
    /// would otherwise hold a hundred megabytes of requests at once.
    var batchValues = 50_000
    var maxPasses = 10
    /// Bulk requests in flight at once: a second one is prepared by the server while the first is parsed.
    var bulkConcurrency = 2
    /// Requests in a row that got no answer: a few are one object's bad luck (a dropped connection), this
    /// many mean the service is down and the run stops.
    var transportFailureLimit = 5

    /// From this many creates on, the target is listed once instead of filtered per object.
    static let listingThreshold = 100

    private enum Phase: CaseIterable { case users, groups, deletes }

    /// The pieces a batch goes through, made once per run: planning and sending share the run's
    /// transport-failure streak.
    private struct Pieces: Sendable {
        let planner: ExportPlanner
        let sender: ExportSender
        let recording: ExportRecording
    }

    func run() async -> RunRecord {
        await RunRecorder.record(store: store, connector: target.name, profile: .export) { recorder in
            let calls = TargetCalls(connector: target.name, transportFailureLimit: transportFailureLimit)
            let pieces = Pieces(planner: ExportPlanner(target: target, calls: calls),
                                sender: ExportSender(target: target, calls: calls, bulkConcurrency: bulkConcurrency, logger: logger),
                                recording: ExportRecording(logger: logger))
            try queueExpiredDeletes()
            // The deletion threshold: an emptied OU or a broken scope must not empty the cloud directory.
            let (deletes, adds, total) = try store.read {
                (try $0.pendingExportCount(connector: target.name, operation: .delete),
                 try $0.pendingExportCount(connector: target.name, operation: .add),
                 try $0.pendingExportCount(connector: target.name))
            }
            if deletes > deletionLimit {
                let message = "The export to \(target.name) was stopped: \(deletes) deletions exceed the deletion threshold of "
                    + "\(deletionLimit). Nothing was exported. Check them with `idsync pending-exports`, then allow them for one "
                    + "run with `idsync sync --allow-deletes \(deletes)` or raise sync.deletion_threshold."
                events(EventRecord(eventID: 116, level: .error, source: "idsync-export", message: message))
                throw RunStop(status: .stoppedDeletionThreshold, message: message)
            }
            guard total > 0 else { return }
            // The target's schema, read once per run: it decides the shape and type of every value written.
            let features = try await calls.call { try await target.features() }
            let context = ExportContext(features: features, schema: try await calls.call { try await target.schemaCatalog() },
                                        managed: managed,
                                        lookup: TargetLookup(target: target, features: features, calls: calls, logger: logger))
            // Many creates, or a server that cannot filter: read what the target holds once, not per object.
            if adds >= Self.listingThreshold || !features.filterSupported {
                try await context.lookup.useListing()
            }
            // Objects that failed are not tried again in the same run: one error each, not one per pass.
            var failed = Set<Int64>()
            for pass in 1...maxPasses {
                var progress = false, waiting = false
                for phase in Phase.allCases {
                    var deferring = true, deferredBefore = Int.max
                    while true {
                        let outcome = try await runPhase(phase, context, pieces, recorder: recorder, failed: &failed, deferring: deferring)
                        progress = progress || outcome.progress
                        waiting = waiting || outcome.waiting
                        guard outcome.deferred > 0 else { break }
                        // Creates still wait and no fewer than before: they wait for each other (a reference cycle)
                        // or for objects that failed. Create them now; their references follow in a later pass.
                        if !outcome.progress || outcome.deferred >= deferredBefore { deferring = false }
                        deferredBefore = outcome.deferred
                    }
                }
                if !waiting || !progress { break }
                logger.debug("export pass done; references still waiting", metadata: ["pass": "\(pass)"])
            }
        }
    }

    /// Objects disabled (`deprovision: disable`) for longer than `deprovision_delete_after` are deleted now;
    /// the deletion threshold counts them like any other delete.
    private func queueExpiredDeletes() throws {
        guard let deleteAfter else { return }
        let cutoff = Date().addingTimeInterval(-Double(deleteAfter.components.seconds))
        try store.write { writer in
            for var object in try writer.deprovisioned(connector: target.name, before: cutoff) {
                guard let id = object.id else { continue }
                object.mvID = nil
                try writer.update(object)
                try writer.setPendingExport(PendingExport(csID: id, operation: .delete, attributes: [:]))
            }
        }
    }

    /// One walk over the pending exports of a phase, a batch at a time. The walk is a pipeline: while one
    /// part is being sent, the next is prepared, and the part before is recorded, so the target is never
    /// idle while idsync reads or writes its store. A part prepared while the one before it is in flight sees
    /// none of that part's new ids: what refers to them waits (deferred or patched later), as for any
    /// reference not resolved yet.
    private func runPhase(_ phase: Phase, _ context: ExportContext, _ pieces: Pieces, recorder: RunRecorder,
                          failed: inout Set<Int64>, deferring: Bool) async throws -> (progress: Bool, waiting: Bool, deferred: Int) {
        var after: Int64 = 0, progress = false, waiting = false, deferred = 0
        var inFlight: (work: [ExportWork], outcomes: Task<[ExportOutcome], any Error>)?
        let sender = pieces.sender
        /// Waits for the part in flight, starts `next` (if any), then records the one that finished.
        func advance(to next: [ExportWork]?) async throws {
            let finished = inFlight
            var outcomes: [ExportOutcome] = []
            if let finished { outcomes = try await finished.outcomes.value }
            inFlight = next.map { work in (work, Task { try await sender.execute(work, context) }) }
            guard let finished else { return }
            try store.write { writer in
                for (item, outcome) in zip(finished.work, outcomes) {
                    switch try pieces.recording.record(item, outcome, writer: writer, recorder: recorder) {
                    case .done: progress = true
                    case .waitingForReferences: progress = true; waiting = true
                    case .failed: failed.insert(item.export.csID)
                    }
                }
            }
        }
        do {
            while true {
                let batch = try store.read { reader in
                    try reader.pendingExports(connector: target.name, after: after, limit: batchSize).compactMap { export in
                        try reader.csObject(id: export.csID).map { (export, $0) }
                    }
                }
                guard let last = batch.last?.0.csID else { break }
                after = last
                let mine = batch.filter { belongs($0.0, $0.1, to: phase) && !failed.contains($0.0.csID) }
                for part in mine.split(byWeight: batchValues, weight: { $0.0.attributes.values.reduce(0) { $0 + $1.count } }) {
                    let resolved = try store.read { reader in try pieces.planner.resolveReferences(part, reader) }
                    var work: [ExportWork] = []
                    for ((export, object), references) in zip(part, resolved) {
                        let item = try await pieces.planner.prepare(export, object, references.desired, before: references.before,
                                                                    context, deferring: deferring)
                        if case .deferred = item.request { deferred += 1 } else { work.append(item) }
                    }
                    try await advance(to: work)
                }
            }
            try await advance(to: nil)
        } catch {
            // Nothing may still be writing to the target once the run has ended.
            inFlight?.outcomes.cancel()
            _ = try? await inFlight?.outcomes.value
            throw error
        }
        return (progress, waiting, deferred)
    }

    private func belongs(_ export: PendingExport, _ object: CSObject, to phase: Phase) -> Bool {
        switch phase {
        case .users: export.operation != .delete && object.objectType == .user
        case .groups: export.operation != .delete && object.objectType == .group
        case .deletes: export.operation == .delete
        }
    }
}

/// What one export run knows about its target.
struct ExportContext: Sendable {
    let features: SCIMFeatures
    /// The target's `/Schemas` and `/ResourceTypes`; nil when it serves none.
    var schema: SCIMSchemaCatalog?
    /// See `Export.managed`.
    var managed: [ObjectType: Set<String>]?
    /// Finds what the target holds already, for first contact.
    let lookup: TargetLookup
    /// The types the target's Bulk failed for in this run: sent as single requests.
    let bulkRefusals = BulkRefusals()

    init(features: SCIMFeatures, schema: SCIMSchemaCatalog?, managed: [ObjectType: Set<String>]?, lookup: TargetLookup) {
        self.features = features; self.schema = schema; self.managed = managed; self.lookup = lookup
    }

    /// The attributes idsync manages for the type; nil: the built-in ones.
    func managed(_ type: ObjectType) -> Set<String>? { managed.map { $0[type] ?? [] } }
}

extension Array {
    /// Consecutive parts whose summed weight stays within `limit` (a heavier element is a part alone).
    func split(byWeight limit: Int, weight: (Element) -> Int) -> [ArraySlice<Element>] {
        var parts: [ArraySlice<Element>] = [], start = startIndex, total = 0
        for index in indices {
            let w = weight(self[index])
            if index > start && total + w > limit {
                parts.append(self[start..<index])
                start = index
                total = 0
            }
            total += w
        }
        if start < endIndex { parts.append(self[start..<endIndex]) }
        return parts
    }
}
