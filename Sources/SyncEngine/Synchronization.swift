import Logging
import SyncStore

/// The full and delta sync run profiles for one source connector: inbound (connector space →
/// metaverse: projection, attribute flow, reference resolution, deletes) and then outbound (metaverse →
/// the target's pending exports). A delta sync looks only at objects with pending imports and at the
/// objects that refer to them; a full sync re-evaluates everything.
struct Synchronization {
    let store: any SyncStore
    let rules: RuleSet
    let targetConnector: String
    let logger: Logger
    var batchSize = 500

    func run(_ connector: String, full: Bool) async -> RunRecord {
        await RunRecorder.record(store: store, connector: connector, profile: full ? .fullSync : .deltaSync) { recorder in
            var state = PassState()
            // Pass 1: every object in question, in id order and batches.
            var after: Int64 = 0
            while true {
                let done: Bool = try store.write { writer in
                    let batch = try writer.csObjects(connector: connector, after: after, limit: batchSize, pendingImportOnly: !full)
                    guard let last = batch.last?.id else { return true }
                    after = last
                    for object in batch { try inbound(object, writer: writer, recorder: recorder, state: &state) }
                    return false
                }
                if done { break }
            }
            // Pass 2: objects whose references point at something that appeared or disappeared.
            try store.write { writer in
                var referrers = Set<Int64>()
                for key in state.changedDNKeys {
                    referrers.formUnion(try writer.referrers(connector: connector, dnKey: key))
                }
                for id in referrers.sorted() {
                    guard let object = try writer.csObject(id: id), object.mvID != nil else { continue }
                    try flowIntoMetaverse(object, writer: writer, recorder: recorder, state: &state)
                }
            }
            // Pass 3: outbound, for every metaverse object that changed.
            for chunk in state.touchedMV.sorted().chunked(batchSize) {
                try store.write { writer in
                    for id in chunk { try outbound(id, writer: writer, recorder: recorder) }
                }
            }
        }
    }

    /// What a sync pass learns that a later pass needs.
    struct PassState {
        /// DN keys of objects that were added or deleted: references to them must be resolved again.
        var changedDNKeys = Set<String>()
        /// Metaverse objects whose attributes changed: their outbound flows must run.
        var touchedMV = Set<Int64>()
        /// Metaverse objects projected by this run: re-resolving their references later is not an update.
        var projected = Set<Int64>()
    }

    // MARK: Inbound

    private func inbound(_ object: CSObject, writer: any StoreWriter, recorder: RunRecorder, state: inout PassState) throws {
        if object.pendingImport == .delete {
            try disconnect(object, writer: writer, recorder: recorder)
            state.changedDNKeys.insert(object.dnKey)
            return
        }
        if object.pendingImport == .add || object.mvID == nil { state.changedDNKeys.insert(object.dnKey) }
        try flowIntoMetaverse(object, writer: writer, recorder: recorder, state: &state)
    }

    /// Projects the object into the metaverse when it is not linked yet, then flows its attributes in.
    private func flowIntoMetaverse(_ object: CSObject, writer: any StoreWriter, recorder: RunRecorder,
                                   state: inout PassState) throws {
        var object = object
        var objectChanged = object.pendingImport != nil
        let attributes = try rules.inbound.apply(to: object.attributes, type: object.objectType) { dn in
            try resolve(dn: dn, connector: object.connector, writer: writer)
        }
        if let mvID = object.mvID, var mv = try writer.mvObject(id: mvID) {
            if mv.attributes != attributes.normalized || mv.objectType != object.objectType {
                mv.attributes = attributes.normalized
                mv.objectType = object.objectType
                try writer.update(mv)
                if !state.projected.contains(mvID) { recorder.updated() }
                state.touchedMV.insert(mvID)
            } else if object.pendingImport != nil, try writer.csObject(connector: targetConnector, mvID: mvID) == nil {
                // Unchanged, but never provisioned (an earlier outbound refused it): evaluate again.
                state.touchedMV.insert(mvID)
            }
        } else {
            let mvID = try writer.insert(MVObject(objectType: object.objectType, attributes: attributes))
            object.mvID = mvID
            objectChanged = true
            recorder.added()
            state.projected.insert(mvID)
            state.touchedMV.insert(mvID)
        }
        if objectChanged {
            object.pendingImport = nil
            try writer.update(object)
        }
    }

    /// A DN in a reference attribute → the metaverse object of the connector-space object it names.
    private func resolve(dn: String, connector: String, writer: any StoreWriter) throws -> String? {
        guard let referenced = try writer.csObject(connector: connector, dnKey: ConnectorSpace.dnKey(dn, role: .source)),
              referenced.pendingImport != .delete, let mvID = referenced.mvID else { return nil }
        return Reference.metaverse(mvID)
    }

    /// The object left the source (deleted, or out of scope): it leaves the connector space, and its
    /// metaverse object goes too when nothing else holds it — which queues the delete in the target.
    private func disconnect(_ object: CSObject, writer: any StoreWriter, recorder: RunRecorder) throws {
        guard let id = object.id else { return }
        try writer.deleteCSObject(id: id)
        guard let mvID = object.mvID else { return }
        let stillJoined = try writer.csObjects(mvID: mvID).contains { $0.connector != targetConnector }
        guard !stillJoined else { return }
        if var target = try writer.csObject(connector: targetConnector, mvID: mvID), let targetID = target.id {
            if target.anchor == nil {
                try writer.deleteCSObject(id: targetID)       // never created in the target: nothing to undo
            } else {
                target.mvID = nil
                try writer.update(target)
                try writer.setPendingExport(PendingExport(csID: targetID, operation: .delete, attributes: [:]))
            }
        }
        try writer.deleteMVObject(id: mvID)
        recorder.deleted()
    }

    // MARK: Outbound

    /// Computes what the target should hold for a metaverse object and queues the difference.
    private func outbound(_ mvID: Int64, writer: any StoreWriter, recorder: RunRecorder) throws {
        guard let mv = try writer.mvObject(id: mvID) else { return }
        let desired = rules.outbound.apply(to: mv.attributes, type: mv.objectType) { $0 }.normalized
        let name = SCIMMapping.displayName(mv.objectType, desired)
        if mv.objectType == .user, desired["userName"] == nil {
            try recorder.error(writer, object: mv.attributes.first("cn") ?? name, attribute: "userPrincipalName",
                               "has no userPrincipalName, which the target needs as userName: not provisioned")
            return
        }
        guard var target = try writer.csObject(connector: targetConnector, mvID: mvID), let targetID = target.id else {
            let target = CSObject(connector: targetConnector, anchor: nil, dn: name, dnKey: ConnectorSpace.dnKey(name, role: .target),
                                  objectType: mv.objectType, attributes: [:], mvID: mvID)
            let id = try writer.insert(target)
            try writer.setPendingExport(PendingExport(csID: id, operation: .add, attributes: desired))
            return
        }
        if target.dn != name {
            target.dn = name
            target.dnKey = ConnectorSpace.dnKey(name, role: .target)
            try writer.update(target)
        }
        if target.anchor != nil && desired == target.attributes {
            try writer.removePendingExport(csID: targetID)
        } else {
            let previous = try writer.pendingExport(csID: targetID)
            try writer.setPendingExport(PendingExport(csID: targetID, operation: target.anchor == nil ? .add : .update,
                                                      attributes: desired, attempts: previous?.attempts ?? 0,
                                                      lastError: previous?.lastError))
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
