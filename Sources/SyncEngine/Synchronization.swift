import LDAP
import Logging
import SyncStore

/// The full and delta sync run profiles for one source connector: inbound (connector space → metaverse:
/// scoping, join or projection, attribute flow with precedence, reference resolution, deletes) and then
/// outbound (metaverse → the target's pending exports). A delta sync looks only at objects with pending
/// imports and at the objects that refer to them; a full sync re-evaluates everything.
struct Synchronization {
    let store: any SyncStore
    let rules: RuleSet
    let targetConnector: String
    let logger: Logger
    var batchSize = 500

    /// A delta sync becomes a full one when the previous sync of the connector did not finish.
    func run(_ connector: String, full: Bool) async -> RunRecord {
        let unfinished = (try? store.read { try $0.syncUnfinished(connector: connector) }) ?? true
        let full = full || unfinished
        return await RunRecorder.record(store: store, connector: connector, profile: full ? .fullSync : .deltaSync) { recorder in
            if unfinished { recorder.note("the previous sync did not finish: full sync") }
            try store.write { try $0.setSyncUnfinished(connector: connector, true) }
            var state = PassState(full: full)
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
            // Pass 2: objects whose references point at something that appeared or disappeared after they
            // were flowed (in an initial sync, groups flowed after their members need nothing more).
            try store.write { writer in
                var referrers = Set<Int64>()
                for (key, changedAt) in state.changedDNKeys {
                    for id in try writer.referrers(connector: connector, dnKey: key) where (state.flowed[id] ?? -1) < changedAt {
                        referrers.insert(id)
                    }
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
            try store.write { try $0.setSyncUnfinished(connector: connector, false) }
        }
    }

    /// What a sync pass learns that a later pass needs.
    struct PassState {
        /// A full sync evaluates the outbound flows of every object it sees, not only of those that changed:
        /// it is what repairs a sync that stopped between its inbound and outbound passes.
        var full = false
        /// DN keys of objects that were added or deleted, with the step at which they changed: references to
        /// them must be resolved again by objects flowed before that step.
        var changedDNKeys: [String: Int] = [:]
        /// The step at which each object was flowed in this run.
        var flowed: [Int64: Int] = [:]
        var step = 0
        /// DN → DN key, computed once per run (the same members appear in many groups).
        var dnKeys: [String: String] = [:]

        mutating func dnKey(_ dn: String) -> String {
            if let key = dnKeys[dn] { return key }
            let key = ConnectorSpace.dnKey(dn, role: .source)
            dnKeys[dn] = key
            return key
        }

        mutating func changed(_ dnKey: String) {
            step += 1
            changedDNKeys[dnKey] = step
        }
        /// Metaverse objects whose attributes changed: their outbound flows must run.
        var touchedMV = Set<Int64>()
        /// Metaverse objects projected by this run: re-resolving their references later is not an update.
        var projected = Set<Int64>()
        /// Members (DN keys) of the groups scoping rules name, read once per run.
        var groupMembers: [String: Set<String>] = [:]
    }

    // MARK: Inbound

    private func inbound(_ object: CSObject, writer: any StoreWriter, recorder: RunRecorder, state: inout PassState) throws {
        if object.pendingImport == .delete {
            try disconnect(object, removing: true, writer: writer, recorder: recorder, state: &state)
            state.changed(object.dnKey)
            return
        }
        if object.pendingImport == .add || object.mvID == nil { state.changed(object.dnKey) }
        try flowIntoMetaverse(object, writer: writer, recorder: recorder, state: &state)
    }

    /// Scopes the object; joins or projects it when it is not linked yet; then flows the attributes of every
    /// object linked to its metaverse object in, by precedence.
    private func flowIntoMetaverse(_ object: CSObject, writer: any StoreWriter, recorder: RunRecorder,
                                   state: inout PassState) throws {
        var object = object
        if let id = object.id {
            state.step += 1
            state.flowed[id] = state.step
        }
        let applicable = try rulesInScope(for: object, writer: writer, state: &state)
        guard !applicable.isEmpty else {
            // Out of every rule's scope: no longer synchronized (a disconnector, in Entra's words).
            try disconnect(object, removing: false, writer: writer, recorder: recorder, state: &state)
            return
        }
        var objectChanged = object.pendingImport != nil
        if object.mvID == nil {
            if let joined = try join(object, applicable, writer: writer) {
                object.mvID = joined
                state.touchedMV.insert(joined)
            } else if applicable.contains(where: \.projection) {
                let mvID = try writer.insert(MVObject(objectType: object.objectType, attributes: [:]))
                object.mvID = mvID
                recorder.added()
                state.projected.insert(mvID)
                state.touchedMV.insert(mvID)
            }
            objectChanged = true
        }
        if objectChanged {
            object.pendingImport = nil
            try writer.update(object)
        }
        guard let mvID = object.mvID, var mv = try writer.mvObject(id: mvID) else { return }
        let attributes = try metaverseAttributes(mvID, writer: writer, state: &state)
        if mv.attributes != attributes || mv.objectType != object.objectType {
            mv.attributes = attributes
            mv.objectType = object.objectType
            try writer.update(mv)
            if !state.projected.contains(mvID) { recorder.updated() }
            state.touchedMV.insert(mvID)
        } else if state.full {
            state.touchedMV.insert(mvID)
        } else if object.pendingImport != nil || objectChanged, try writer.anchor(connector: targetConnector, mvID: mvID) == nil {
            // Unchanged, but never provisioned (an earlier outbound refused it): evaluate again.
            state.touchedMV.insert(mvID)
        }
    }

    /// The inbound rules of the object's connector and type whose scope holds the object.
    private func rulesInScope(for object: CSObject, writer: any StoreWriter, state: inout PassState) throws -> [SyncRule] {
        try rules.inbound(connector: object.connector, type: object.objectType).filter { rule in
            let scope = rule.scope
            if !scope.containers.isEmpty && !scope.containers.contains(where: { DistinguishedName.isWithin(object.dn, base: $0) }) {
                return false
            }
            if let filter = scope.filter, !filter.matches(object.attributes) { return false }
            if !scope.memberOf.isEmpty {
                var member = false
                for group in scope.memberOf where try members(of: group, connector: object.connector, writer: writer, state: &state)
                    .contains(object.dnKey) {
                    member = true
                    break
                }
                if !member { return false }
            }
            return true
        }
    }

    private func members(of group: String, connector: String, writer: any StoreWriter, state: inout PassState) throws -> Set<String> {
        let key = ConnectorSpace.dnKey(group, role: .source)
        if let cached = state.groupMembers[key] { return cached }
        let members = Set(try writer.csObject(connector: connector, dnKey: key)?.attributes["member"]?
            .map { ConnectorSpace.dnKey($0, role: .source) } ?? [])
        state.groupMembers[key] = members
        return members
    }

    /// The join rules, in order: the first that finds exactly one metaverse object of the same type, not
    /// yet joined to an object of this connector, joins it.
    private func join(_ object: CSObject, _ applicable: [SyncRule], writer: any StoreWriter) throws -> Int64? {
        for rule in applicable {
            for join in rule.joins {
                guard let value = try join.source.evaluate(object.attributes, resolve: { _ in nil }).first else { continue }
                let candidates = try writer.mvObjects(attribute: join.metaverseAttribute, value: value, limit: 3).filter { candidate in
                    let taken = try writer.csObjects(mvID: candidate.id ?? 0).contains { $0.connector == object.connector }
                    return candidate.objectType == object.objectType && !taken
                }
                if candidates.count == 1 { return candidates[0].id }
            }
        }
        return nil
    }

    /// The metaverse object's attributes: the flows of every source object joined to it, by precedence.
    private func metaverseAttributes(_ mvID: Int64, writer: any StoreWriter, state: inout PassState) throws -> AttributeMap {
        var merged: [String: (precedence: Int, values: [String])] = [:]
        for contributor in try writer.csObjects(mvID: mvID) where contributor.connector != targetConnector {
            let applicable = try rulesInScope(for: contributor, writer: writer, state: &state)
            let flowed = try RuleSet.flow(applicable, contributor.attributes) { dn in
                try resolve(dnKey: state.dnKey(dn), connector: contributor.connector, writer: writer)
            }
            for (name, contribution) in flowed where (merged[name]?.precedence ?? Int.max) > contribution.precedence {
                merged[name] = contribution
            }
        }
        return merged.mapValues(\.values).normalized
    }

    /// A DN (by its key) in a reference attribute → the metaverse object of the connector-space object it names.
    private func resolve(dnKey: String, connector: String, writer: any StoreWriter) throws -> String? {
        guard let referenced = try writer.link(connector: connector, dnKey: dnKey),
              referenced.pendingImport != .delete, let mvID = referenced.mvID else { return nil }
        return Reference.metaverse(mvID)
    }

    /// The object left the source (deleted, or out of scope): it leaves the metaverse object (and the
    /// connector space, when `removing`); the metaverse object goes too when nothing else holds it — which
    /// queues the delete in the target. Otherwise the remaining objects' flows are applied again.
    private func disconnect(_ object: CSObject, removing: Bool, writer: any StoreWriter, recorder: RunRecorder,
                            state: inout PassState) throws {
        guard let id = object.id else { return }
        if removing {
            try writer.deleteCSObject(id: id)
        } else if object.mvID != nil || object.pendingImport != nil {
            var kept = object
            kept.mvID = nil
            kept.pendingImport = nil
            try writer.update(kept)
        }
        guard let mvID = object.mvID else { return }
        let stillJoined = try writer.csObjects(mvID: mvID).contains { $0.connector != targetConnector && $0.id != id }
        if stillJoined {
            state.touchedMV.insert(mvID)
            if var mv = try writer.mvObject(id: mvID) {
                mv.attributes = try metaverseAttributes(mvID, writer: writer, state: &state)
                try writer.update(mv)
            }
            return
        }
        try deprovision(mvID, writer: writer)
        try writer.deleteMVObject(id: mvID)
        recorder.deleted()
    }

    /// Queues the delete of the metaverse object's target object (or drops one never created).
    private func deprovision(_ mvID: Int64, writer: any StoreWriter) throws {
        guard var target = try writer.csObject(connector: targetConnector, mvID: mvID), let targetID = target.id else { return }
        if target.anchor == nil {
            try writer.deleteCSObject(id: targetID)       // never created in the target: nothing to undo
        } else {
            target.mvID = nil
            try writer.update(target)
            try writer.setPendingExport(PendingExport(csID: targetID, operation: .delete, attributes: [:]))
        }
    }

    // MARK: Outbound

    /// Computes what the target should hold for a metaverse object and queues the difference.
    private func outbound(_ mvID: Int64, writer: any StoreWriter, recorder: RunRecorder) throws {
        guard let mv = try writer.mvObject(id: mvID) else { return }
        let applicable = rules.outbound(type: mv.objectType).filter { $0.scope.filter?.matches(mv.attributes) ?? true }
        guard !applicable.isEmpty else {
            try deprovision(mvID, writer: writer)    // out of every outbound rule's scope
            return
        }
        let desired = RuleSet.flow(applicable, mv.attributes) { $0 }.mapValues(\.values).normalized
        // A user without a userName still gets its pending export: the export refuses it with its reason, so it is
        // listed by `idsync errors` until the source gives it one.
        let name = SCIMMapping.displayName(mv.objectType, desired)
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
