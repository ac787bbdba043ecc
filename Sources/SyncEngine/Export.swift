import Logging
import SCIM
import SyncStore

/// The export run profile: applies the target connector's pending exports. Users go before groups (a
/// group's members must exist first) and deletes go last. A new object that refers to another one not
/// created yet waits for it, so it is created complete in one request; where references form a cycle,
/// the object is created without them and a later pass adds them once they exist.
struct Export {
    let store: any SyncStore
    let target: SCIMTargetConnector
    let logger: Logger
    /// The most deletions one export may send; more stops it before it sends anything.
    let deletionLimit: Int
    /// Records event 116 when the limit stops the export.
    let events: EventSink
    var batchSize = 200
    var maxPasses = 10

    private enum Phase: CaseIterable { case users, groups, deletes }

    func run() async -> RunRecord {
        await RunRecorder.record(store: store, connector: target.name, profile: .export) { recorder in
            // The deletion threshold: an emptied OU or a broken scope must not empty the cloud directory.
            let deletes = try store.read { try $0.pendingExportCount(connector: target.name, operation: .delete) }
            if deletes > deletionLimit {
                let message = "The export to \(target.name) was stopped: \(deletes) deletions exceed the deletion threshold of "
                    + "\(deletionLimit). Nothing was exported. Check them with `idsync pending-exports`, then allow them for one "
                    + "run with `idsync sync --allow-deletes \(deletes)` or raise sync.deletion_threshold."
                events(EventRecord(eventID: 116, level: .error, source: "idsync-export", message: message))
                throw RunStop(status: .stoppedDeletionThreshold, message: message)
            }
            // Objects that failed are not tried again in the same run: one error each, not one per pass.
            var failed = Set<Int64>()
            for pass in 1...maxPasses {
                var progress = false, waiting = false
                for phase in Phase.allCases {
                    var deferring = true
                    while true {
                        let outcome = try await runPhase(phase, recorder: recorder, failed: &failed, deferring: deferring)
                        progress = progress || outcome.progress
                        waiting = waiting || outcome.waiting
                        guard outcome.deferred else { break }
                        // Nothing moved although creates wait for each other: a reference cycle. Break it.
                        if !outcome.progress { deferring = false }
                    }
                }
                if !waiting || !progress { break }
                logger.debug("export pass done; references still waiting", metadata: ["pass": "\(pass)"])
            }
        }
    }

    /// One walk over the pending exports of a phase, in id order and batches.
    private func runPhase(_ phase: Phase, recorder: RunRecorder, failed: inout Set<Int64>, deferring: Bool) async throws
        -> (progress: Bool, waiting: Bool, deferred: Bool) {
        var after: Int64 = 0, progress = false, waiting = false, deferred = false
        while true {
            let batch = try store.read { reader in
                try reader.pendingExports(connector: target.name, after: after, limit: batchSize).compactMap { export in
                    try reader.csObject(id: export.csID).map { (export, $0) }
                }
            }
            guard let last = batch.last?.0.csID else { return (progress, waiting, deferred) }
            after = last
            for (export, object) in batch where belongs(export, object, to: phase) && !failed.contains(export.csID) {
                switch try await apply(export, object, recorder: recorder, deferring: deferring) {
                case .done: progress = true
                case .waitingForReferences: progress = true; waiting = true
                case .deferred: deferred = true
                case .failed: failed.insert(export.csID)
                }
            }
        }
    }

    private func belongs(_ export: PendingExport, _ object: CSObject, to phase: Phase) -> Bool {
        switch phase {
        case .users: export.operation != .delete && object.objectType == .user
        case .groups: export.operation != .delete && object.objectType == .group
        case .deletes: export.operation == .delete
        }
    }

    private enum Outcome {
        case done
        /// Written, but some references could not be resolved yet.
        case waitingForReferences
        /// Not written yet: a create that refers to objects this run is about to create.
        case deferred
        case failed
    }

    private func apply(_ export: PendingExport, _ object: CSObject, recorder: RunRecorder, deferring: Bool) async throws -> Outcome {
        do {
            switch export.operation {
            case .delete: return try await delete(object, recorder: recorder)
            case .add, .update: return try await write(export, object, recorder: recorder, deferring: deferring)
            }
        } catch let error as SCIMError where error.kind == .transport || error.isAuthenticationFailure {
            // The service is down or refuses us: every further object would fail the same way.
            throw ConnectorError(connector: target.name, "\(error)")
        } catch let error as SCIMError {
            try fail(export, object, message: "\(error)", recorder: recorder)
            return .failed
        } catch let error as ObjectError {
            try fail(export, object, message: error.message, attribute: error.attribute, recorder: recorder)
            return .failed
        }
    }

    private func delete(_ object: CSObject, recorder: RunRecorder) async throws -> Outcome {
        if let anchor = object.anchor { try await target.delete(object.objectType, id: anchor) }
        try store.write { try $0.deleteCSObject(id: object.id!) }
        recorder.deleted()
        return .done
    }

    /// Creates or updates one object with the references that resolve now.
    private func write(_ export: PendingExport, _ object: CSObject, recorder: RunRecorder, deferring: Bool) async throws -> Outcome {
        var object = object
        let references = SCIMMapping.referenceAttributes(object.objectType)
        let (desired, unresolved, types) = try store.read { reader in try resolve(export.attributes, references, reader) }
        if deferring, object.anchor == nil, !unresolved.isEmpty { return .deferred }
        // What was written: the desired state minus the references that could not be resolved yet.
        let written = export.attributes.reduce(into: AttributeMap()) { result, entry in
            result[entry.key] = entry.value.filter { !unresolved.contains($0) }
        }.normalized

        if let anchor = object.anchor {
            let (before, _, _) = try store.read { reader in try resolve(object.attributes, references, reader) }
            do {
                if try await target.update(object.objectType, id: anchor, from: before, to: desired, types: types) { recorder.updated() }
            } catch let error as SCIMError where error.isNotFound {
                // Deleted in the target behind idsync's back: create it again on the next pass.
                object.anchor = nil
                object.setAttributes([:])
                try store.write { writer in
                    try writer.update(object)
                    try writer.setPendingExport(PendingExport(csID: object.id!, operation: .add, attributes: export.attributes))
                }
                return .waitingForReferences
            }
        } else {
            let externalId = desired.first("externalId")
            if let found = try await target.findExisting(object.objectType, externalId: externalId, userName: desired.first("userName")) {
                let holder = found.resource.value(forAttribute: "externalId")?.stringValue
                if found.matchedBy == .userName, let holder, !holder.isEmpty, holder != externalId {
                    throw ObjectError("userName \(desired.first("userName") ?? "") is already used in the target by object "
                                      + "\(found.id) anchored to externalId \(holder): not taken over", attribute: "userName")
                }
                // First contact with an object the target already holds: join it, then send only the differences.
                object.anchor = found.id
                let actual = SCIMMapping.attributes(object.objectType, from: found.resource)
                if try await target.update(object.objectType, id: found.id, from: actual, to: desired, types: types) { recorder.updated() }
            } else {
                object.anchor = try await target.create(object.objectType, desired, types: types)
                recorder.added()
            }
        }
        object.setAttributes(written)
        try store.write { writer in
            try writer.update(object)
            if unresolved.isEmpty {
                try writer.removePendingExport(csID: object.id!)
            } else {
                try writer.setPendingExport(PendingExport(csID: object.id!, operation: .update, attributes: export.attributes))
            }
        }
        return unresolved.isEmpty ? .done : .waitingForReferences
    }

    /// Turns metaverse references into target ids; returns the values that cannot be resolved yet, and the
    /// object type of each resolved id (members are written with their type's URI).
    private func resolve(_ attributes: AttributeMap, _ references: Set<String>, _ reader: any StoreReader) throws
        -> (AttributeMap, Set<String>, [String: ObjectType]) {
        var resolved = attributes, unresolved = Set<String>(), types: [String: ObjectType] = [:]
        for name in references {
            guard let values = attributes[name] else { continue }
            resolved[name] = try values.compactMap { value in
                if let mvID = Reference.metaverseID(value) {
                    if let referenced = try reader.csObject(connector: target.name, mvID: mvID), let anchor = referenced.anchor {
                        types[anchor] = referenced.objectType
                        return anchor
                    }
                    unresolved.insert(value)
                    return nil
                }
                return Reference.targetID(value) ?? value
            }
        }
        return (resolved.normalized, unresolved, types)
    }

    private func fail(_ export: PendingExport, _ object: CSObject, message: String, attribute: String? = nil,
                      recorder: RunRecorder) throws {
        logger.warning("export failed", metadata: ["object": "\(object.dn)", "error": "\(message)"])
        try store.write { writer in
            var export = export
            export.attempts += 1
            export.lastError = message
            try writer.setPendingExport(export)
            try recorder.error(writer, object: object.dn, attribute: attribute, message)
        }
    }
}
