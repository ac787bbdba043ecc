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
    let targets: [TargetPolicy]
    /// Every source connector (scoping groups may come from any of them).
    let sources: [String]
    let logger: Logger
    var batchSize = 500

    /// A delta sync becomes a full one when the previous sync of the connector did not finish.
    func run(_ connector: String, full: Bool) async -> RunRecord {
        let unfinished = (try? store.read { try $0.syncUnfinished(connector: connector) }) ?? true
        let full = full || unfinished
        return await RunRecorder.record(store: store, connector: connector, profile: full ? .fullSync : .deltaSync) { recorder in
            if unfinished { recorder.note("the previous sync did not finish: full sync") }
            try store.write { try $0.setSyncUnfinished(connector: connector, true) }
            var state = PassState(full: full, provisioning: Provisioning(rules: rules, targets: targets))
            // Pass 1: every object in question, in id order and batches.
            try walk(connector, pendingImportOnly: !full) { object, writer in
                try inbound(object, writer: writer, recorder: recorder, state: &state)
            }
            // A group an inbound scope names changed: who is in scope may have changed for objects that did not,
            // and the group's old members are no longer known. Every object not flowed yet is judged again.
            if !full, state.inboundScopeChanged {
                recorder.note("a group an inbound scope names changed: every object's scope was evaluated again")
                try walk(connector, pendingImportOnly: false) { object, writer in
                    guard let id = object.id, state.flowed[id] == nil else { return }
                    try flowIntoMetaverse(object, writer: writer, recorder: recorder, state: &state)
                }
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
            try outbound(&state, recorder: recorder)
            try store.write { try $0.setSyncUnfinished(connector: connector, false) }
        }
    }

    /// Calls `body` for each object of the connector (or each with a pending import), in id order, a batch
    /// per transaction.
    private func walk(_ connector: String, pendingImportOnly: Bool,
                      _ body: (CSObject, any StoreWriter) throws -> Void) throws {
        var after: Int64 = 0
        while true {
            let done: Bool = try store.write { writer in
                let batch = try writer.csObjects(connector: connector, after: after, limit: batchSize, pendingImportOnly: pendingImportOnly)
                guard let last = batch.last?.id else { return true }
                after = last
                for object in batch { try body(object, writer) }
                return false
            }
            if done { break }
        }
    }

    /// What a sync pass learns that a later pass needs.
    struct PassState {
        /// A full sync evaluates the outbound flows of every object it sees, not only of those that changed:
        /// it is what repairs a sync that stopped between its inbound and outbound passes.
        var full = false
        var provisioning: Provisioning
        /// A group named by an inbound rule's `member_of` had a pending import.
        var inboundScopeChanged = false
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
        if object.objectType == .group, !state.inboundScopeChanged, inboundScopingGroups(object.connector).contains(object.dnKey) {
            state.inboundScopeChanged = true
        }
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
            let found: Int64?
            do {
                found = try join(object, applicable, writer: writer)
            } catch let error as FlowError {
                try recorder.error(writer, object: object.dn, attribute: error.attribute, "\(error)")
                return
            }
            if let joined = found {
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
        let flowed: FlowResult
        do {
            flowed = try metaverseAttributes(mvID, writer: writer, state: &state)
        } catch let error as FlowError {
            // One object's bad value: recorded for it, its metaverse object keeps what it had, the run goes on.
            try recorder.error(writer, object: object.dn, attribute: error.attribute, "\(error)")
            return
        }
        let (attributes, references) = (flowed.attributeMap, flowed.referenceMap)
        if mv.attributes != attributes || mv.references != references || mv.objectType != object.objectType {
            mv.attributes = attributes
            mv.references = references
            mv.objectType = object.objectType
            try writer.update(mv)
            if !state.projected.contains(mvID) { recorder.updated() }
            state.touchedMV.insert(mvID)
        } else if state.full {
            state.touchedMV.insert(mvID)
        } else if object.pendingImport != nil || objectChanged,
                  try targets.contains(where: { try writer.anchor(connector: $0.name, mvID: mvID) == nil }) {
            // Unchanged, but not provisioned everywhere (an earlier outbound refused it, or out of a scope): evaluate again.
            state.touchedMV.insert(mvID)
        }
    }

    /// DN keys of the groups the connector's inbound rules scope to.
    private func inboundScopingGroups(_ connector: String) -> Set<String> {
        Set(ObjectType.allCases.flatMap { rules.inbound(connector: connector, type: $0) }.flatMap(\.scope.memberOf)
            .map { ConnectorSpace.dnKey($0, role: .source) })
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
                let value: String?
                do {
                    value = try join.source.evaluate(object.attributes, context: EvaluationContext()).first
                } catch let error as ExpressionError {
                    throw FlowError(rule: rule.name, attribute: "join on \(join.metaverseAttribute)", reason: "\(error)")
                }
                guard let value else { continue }
                let candidates = try writer.mvObjects(attribute: join.metaverseAttribute, value: value, limit: 3).filter { candidate in
                    let taken = try writer.csObjects(mvID: candidate.id ?? 0).contains { $0.connector == object.connector }
                    return candidate.objectType == object.objectType && !taken
                }
                if candidates.count == 1 { return candidates[0].id }
            }
        }
        return nil
    }

    /// The metaverse object's attributes and references: the flows of every source object joined to it, by precedence.
    private func metaverseAttributes(_ mvID: Int64, writer: any StoreWriter, state: inout PassState) throws -> FlowResult {
        var merged = FlowResult()
        let targetNames = state.provisioning.targetNames
        for contributor in try writer.csObjects(mvID: mvID) where !targetNames.contains(contributor.connector) {
            let applicable = try rulesInScope(for: contributor, writer: writer, state: &state)
            merged.merge(try RuleSet.apply(applicable, to: contributor.attributes) { dn in
                try resolve(dnKey: state.dnKey(dn), connector: contributor.connector, writer: writer)
            })
        }
        return merged
    }

    /// A DN (by its key) in a reference attribute → the metaverse object of the connector-space object it names.
    private func resolve(dnKey: String, connector: String, writer: any StoreWriter) throws -> Reference? {
        guard let referenced = try writer.link(connector: connector, dnKey: dnKey),
              referenced.pendingImport != .delete, let mvID = referenced.mvID else { return nil }
        return .metaverse(mvID)
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
        let targetNames = state.provisioning.targetNames
        let stillJoined = try writer.csObjects(mvID: mvID).contains { !targetNames.contains($0.connector) && $0.id != id }
        if stillJoined {
            state.touchedMV.insert(mvID)
            if var mv = try writer.mvObject(id: mvID) {
                do {
                    let flowed = try metaverseAttributes(mvID, writer: writer, state: &state)
                    mv.attributes = flowed.attributeMap
                    mv.references = flowed.referenceMap
                    try writer.update(mv)
                } catch let error as FlowError {
                    try recorder.error(writer, object: object.dn, attribute: error.attribute, "\(error)")
                }
            }
            return
        }
        try state.provisioning.deprovisionEverywhere(mvID, metaverseObjectGoes: true, writer: writer, revisitGroups: !state.full)
        try writer.deleteMVObject(id: mvID)
        recorder.deleted()
    }

    // MARK: Outbound

    /// Records an outbound flow that failed for one object: the run goes on, the target keeps what it has.
    private func refused(_ writer: any StoreWriter, _ recorder: RunRecorder) -> (MVObject, String, FlowError) throws -> Void {
        { mv, target, error in
            let name = mv.attributes.first("userPrincipalName") ?? mv.attributes.first("displayName") ?? "metaverse object \(mv.id ?? 0)"
            try recorder.error(writer, object: name, attribute: error.attribute, "\(error) (target \(target))")
        }
    }

    /// Pass 3: every metaverse object that changed, and every one whose scope in a target changed without it
    /// changing (a group membership), into each target — users first, so that a group pushed to a target
    /// lists exactly the members that target holds; then the groups, and those whose members joined or left
    /// a target on the way.
    private func outbound(_ state: inout PassState, recorder: RunRecorder) throws {
        let candidates = try store.read { reader in
            try state.provisioning.scopeChanges(reader, sources: sources)
        }.union(state.touchedMV)
        var groups: [Int64] = []
        for chunk in candidates.sorted().chunked(batchSize) {
            try store.write { writer in
                for id in chunk {
                    guard let type = try writer.mvObject(id: id)?.objectType else { continue }
                    if type == .group { groups.append(id); continue }
                    try state.provisioning.outbound(id, writer: writer, sources: sources, revisitGroups: !state.full,
                                                    refused: refused(writer, recorder))
                }
            }
        }
        var round = Set(groups).union(state.provisioning.takeGroupsToRevisit())
        if state.full && sources.count > 1 {
            // A full sync of one source re-evaluated its own objects; a group of another source may list members
            // that just entered or left a target through this one.
            round.formUnion(try store.read { try $0.mvIDs(objectType: .group) })
        }
        // A group that enters a target is a member other groups there may list: those evaluated before it are
        // evaluated again, until nothing more enters (nesting depth rounds at most).
        while !round.isEmpty {
            for chunk in round.sorted().chunked(batchSize) {
                try store.write { writer in
                    for id in chunk {
                        try state.provisioning.outbound(id, writer: writer, sources: sources, revisitGroups: true,
                                                        refused: refused(writer, recorder))
                    }
                }
            }
            round = state.provisioning.takeGroupsToRevisit()
        }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
