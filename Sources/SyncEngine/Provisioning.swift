import Foundation
import SyncConfiguration
import SyncStore

/// How the engine treats one target connector: what leaving its scope does there, its deletion threshold,
/// and whether it is staged (imports and syncs run for it, exports do not).
public struct TargetPolicy: Sendable {
    public var name: String
    public var deprovision: SCIMConnectorConfig.Deprovision = .delete
    /// `deprovision: disable`: how long a disabled object stays before it is deleted; nil: never.
    public var deleteAfter: Duration?
    public var deletionThreshold = 500
    public var staging = false

    public init(name: String) { self.name = name }

    /// The policies of every target connector of the configuration, per-connector keys over the global ones.
    public static func of(_ config: IDSyncConfig) -> [TargetPolicy] {
        config.targetConnectors.compactMap { connector in
            guard case .scim(let scim) = connector.kind else { return nil }
            var policy = TargetPolicy(name: connector.name)
            policy.deprovision = scim.deprovision
            policy.deleteAfter = scim.deprovisionDeleteAfter
            policy.deletionThreshold = scim.deletionThreshold ?? config.sync.deletionThreshold
            policy.staging = scim.staging ?? config.service.staging
            return policy
        }
    }
}

/// The outbound half of a sync: for each metaverse object that changed and each target, the target's
/// scope (filter, transitive group membership), its desired state, and the pending export that brings the
/// target there — or the deprovisioning (delete, or disable) of an object that left the scope.
///
/// One value lives for one sync run: it keeps, per target, the set of metaverse objects the target holds
/// (so a pushed group lists only members that target holds) and the members of the groups scopes name.
struct Provisioning {
    let rules: RuleSet
    let targets: [TargetPolicy]
    let now: Date
    /// Per target: the metaverse objects it holds and has not deprovisioned, kept current as the run goes.
    private var provisioned: [String: [Int64: ObjectType]] = [:]
    /// Transitive members (and the groups themselves) of a set of scoping groups, by their DNs' keys.
    private var scopeMembers: [[String]: Set<Int64>] = [:]
    /// Metaverse groups to evaluate again because a member joined or left a target.
    private var groupsToRevisit = Set<Int64>()

    /// The groups to evaluate again since the last call.
    mutating func takeGroupsToRevisit() -> Set<Int64> {
        defer { groupsToRevisit = [] }
        return groupsToRevisit
    }

    init(rules: RuleSet, targets: [TargetPolicy], now: Date = Date()) {
        self.rules = rules; self.targets = targets; self.now = now
    }

    var targetNames: Set<String> { Set(targets.map(\.name)) }

    // MARK: Scope

    private mutating func held(by target: String, _ reader: any StoreReader) throws -> [Int64: ObjectType] {
        if let known = provisioned[target] { return known }
        let loaded = try reader.provisioned(connector: target)
        provisioned[target] = loaded
        return loaded
    }

    /// The metaverse ids in the scope of `groups` (source group DNs): the groups, and every object that is a
    /// member of one of them, directly or through nested groups. Membership is the metaverse `member`.
    mutating func members(of groups: [String], _ reader: any StoreReader, sources: [String]) throws -> Set<Int64> {
        let key = groups.map { ConnectorSpace.dnKey($0, role: .source) }.sorted()
        if let known = scopeMembers[key] { return known }
        var seen = Set<Int64>(), queue: [Int64] = []
        for dnKey in key {
            for source in sources {
                if let link = try reader.link(connector: source, dnKey: dnKey), link.pendingImport != .delete, let id = link.mvID {
                    queue.append(id)
                }
            }
        }
        while let id = queue.popLast() {
            guard seen.insert(id).inserted, let group = try reader.mvObject(id: id), group.objectType == .group else { continue }
            for reference in group.references["member"] ?? [] {
                guard let member = reference.metaverseID, !seen.contains(member) else { continue }
                if try reader.mvObject(id: member)?.objectType == .group { queue.append(member) } else { seen.insert(member) }
            }
        }
        scopeMembers[key] = seen
        return seen
    }

    /// The outbound rules of `target` whose scope holds the metaverse object.
    mutating func rulesInScope(_ mv: MVObject, target: String, _ reader: any StoreReader, sources: [String]) throws -> [SyncRule] {
        guard let id = mv.id else { return [] }
        return try rules.outbound(type: mv.objectType, connector: target).filter { rule in
            if let filter = rule.scope.filter, !filter.matches(mv.attributes) { return false }
            if !rule.scope.memberOf.isEmpty, !(try members(of: rule.scope.memberOf, reader, sources: sources).contains(id)) {
                return false
            }
            return true
        }
    }

    /// Objects whose scope in a target may have changed without the objects themselves changing: a user added
    /// to (or removed from) a group an outbound scope names. They are the difference between what the scope
    /// holds now and what the target holds.
    mutating func scopeChanges(_ reader: any StoreReader, sources: [String]) throws -> Set<Int64> {
        var changed = Set<Int64>()
        for target in targets {
            for type in ObjectType.allCases {
                let scoped = rules.outbound(type: type, connector: target.name)
                guard scoped.contains(where: { !$0.scope.memberOf.isEmpty }) else { continue }
                var inScope = Set<Int64>()
                for rule in scoped {
                    guard !rule.scope.memberOf.isEmpty else { continue }
                    inScope.formUnion(try members(of: rule.scope.memberOf, reader, sources: sources))
                }
                let held = try held(by: target.name, reader).filter { $0.value == type }.keys
                changed.formUnion(Set(held).subtracting(inScope))
                for id in inScope.subtracting(held) where try reader.mvObject(id: id)?.objectType == type {
                    changed.insert(id)
                }
            }
        }
        return changed
    }

    // MARK: Outbound

    /// Computes what each target should hold for a metaverse object and queues the difference. A flow that
    /// cannot compute its value goes to `refused` (the run records it for the object) and that target keeps
    /// what it has.
    mutating func outbound(_ mvID: Int64, writer: any StoreWriter, sources: [String], revisitGroups: Bool,
                           refused: (MVObject, _ target: String, FlowError) throws -> Void) throws {
        guard let mv = try writer.mvObject(id: mvID) else { return }
        for target in targets {
            let applicable = try rulesInScope(mv, target: target.name, writer, sources: sources)
            guard !applicable.isEmpty else {
                try deprovision(mvID, in: target, metaverseObjectGoes: false, writer: writer, revisitGroups: revisitGroups)
                continue
            }
            let flowed: FlowResult
            do {
                flowed = try RuleSet.apply(applicable, to: mv.attributes, references: mv.references,
                                           isTaken: Self.taken(in: target.name, except: mvID, writer))
            } catch let error as FlowError {
                try refused(mv, target.name, error)
                continue
            }
            var references = flowed.referenceMap
            if mv.objectType == .group {
                // A pushed group lists only the objects this target holds.
                let held = try held(by: target.name, writer)
                references = references.mapValues { references in
                    references.filter { reference in reference.metaverseID.map { held[$0] != nil } ?? true }
                }.filter { !$0.value.isEmpty }
            }
            try provision(mv, flowed.attributeMap, references, in: target, writer: writer, revisitGroups: revisitGroups)
        }
    }

    private mutating func provision(_ mv: MVObject, _ desired: AttributeMap, _ references: ReferenceMap, in target: TargetPolicy,
                                    writer: any StoreWriter, revisitGroups: Bool) throws {
        guard let mvID = mv.id else { return }
        // A user without a userName still gets its pending export: the export refuses it with its reason, so it
        // is listed by `idsync errors` until the source gives it one.
        let name = SCIMMapping.displayName(mv.objectType, desired)
        let dnKey = ConnectorSpace.dnKey(name, role: .target)
        var existing = try writer.csObject(connector: target.name, mvID: mvID)
        if existing == nil, let orphan = try writer.csObject(connector: target.name, dnKey: dnKey), orphan.mvID == nil,
           orphan.deprovisionedAt != nil, orphan.objectType == mv.objectType,
           orphan.attributes["externalId"] == desired["externalId"] {
            // Disabled when its source object was deleted, and now back (restored in the directory): the same
            // target object is enabled again, not created a second time.
            existing = orphan
        }
        guard var object = existing, let targetID = object.id else {
            let created = CSObject(connector: target.name, anchor: nil, dn: name, dnKey: dnKey, objectType: mv.objectType,
                                   attributes: [:], mvID: mvID)
            let id = try writer.insert(created)
            try writer.setPendingExport(PendingExport(csID: id, operation: .add, attributes: desired, references: references))
            try joined(mvID, mv.objectType, target: target.name, writer, revisitGroups: revisitGroups)
            return
        }
        let returning = object.deprovisionedAt != nil
        if object.dn != name || returning || object.mvID != mvID {
            object.dn = name
            object.dnKey = dnKey
            object.deprovisionedAt = nil
            object.mvID = mvID
            object.formerMVID = nil
            try writer.update(object)
        }
        if returning { try joined(mvID, mv.objectType, target: target.name, writer, revisitGroups: revisitGroups) }
        let target = object
        if target.anchor != nil && desired == target.attributes && references == target.references {
            try writer.removePendingExport(csID: targetID)
        } else {
            let previous = try writer.pendingExport(csID: targetID)
            try writer.setPendingExport(PendingExport(csID: targetID, operation: target.anchor == nil ? .add : .update,
                                                      attributes: desired, references: references, attempts: previous?.attempts ?? 0,
                                                      lastError: previous?.lastError))
        }
    }

    /// SelectUniqueValue's question for a target: does another object there hold the value (as idsync knows
    /// the target: what it exported and what it is about to)?
    private static func taken(in target: String, except mvID: Int64, _ reader: any StoreReader)
        -> @Sendable (String, String) throws -> Bool {
        // Asked synchronously inside the sync's transaction, never after it: the reader does not escape it.
        let reader = UncheckedReader(reader: reader)
        return { attribute, value in
            try reader.reader.valueTaken(connector: target, attribute: attribute, value: value, exceptMetaverseID: mvID)
        }
    }

    /// The metaverse object is held by the target from now on.
    private mutating func joined(_ mvID: Int64, _ type: ObjectType, target: String, _ reader: any StoreReader,
                                 revisitGroups: Bool) throws {
        provisioned[target]?[mvID] = type
        if revisitGroups { try noteGroups(of: mvID, reader) }
    }

    /// Queues the deprovisioning of the metaverse object in one target: a delete, or (`deprovision: disable`,
    /// users) `active: false`, then a delete once `deprovision_delete_after` has passed. An object never
    /// created there is simply dropped. `metaverseObjectGoes`: the metaverse object is about to be deleted.
    mutating func deprovision(_ mvID: Int64, in target: TargetPolicy, metaverseObjectGoes: Bool, writer: any StoreWriter,
                              revisitGroups: Bool) throws {
        guard var object = try writer.csObject(connector: target.name, mvID: mvID), let id = object.id else { return }
        let wasHeld = object.deprovisionedAt == nil
        provisioned[target.name]?[mvID] = nil
        if wasHeld && revisitGroups { try noteGroups(of: mvID, writer) }
        if object.anchor == nil {
            try writer.deleteCSObject(id: id)      // never created in the target: nothing to undo
            return
        }
        guard target.deprovision == .disable && object.objectType == .user else {
            object.mvID = nil
            object.formerMVID = mvID
            try writer.update(object)
            try writer.setPendingExport(PendingExport(csID: id, operation: .delete, attributes: [:]))
            return
        }
        if metaverseObjectGoes {
            object.mvID = nil
            object.formerMVID = mvID
        }
        guard wasHeld || metaverseObjectGoes else { return }
        if wasHeld {
            object.deprovisionedAt = now
            var disabled = object.attributes
            disabled["active"] = ["false"]
            try writer.setPendingExport(PendingExport(csID: id, operation: .update, attributes: disabled, references: object.references))
        }
        try writer.update(object)
    }

    /// Deprovisions the metaverse object in every target (it leaves the metaverse, or every scope).
    mutating func deprovisionEverywhere(_ mvID: Int64, metaverseObjectGoes: Bool, writer: any StoreWriter,
                                        revisitGroups: Bool) throws {
        for target in targets {
            try deprovision(mvID, in: target, metaverseObjectGoes: metaverseObjectGoes, writer: writer, revisitGroups: revisitGroups)
        }
    }

    /// The groups that list `mvID` as a member are evaluated again: a target's group lists only what it holds.
    private mutating func noteGroups(of mvID: Int64, _ reader: any StoreReader) throws {
        for source in try reader.csObjects(mvID: mvID) where !targetNames.contains(source.connector) {
            for referrer in try reader.referrers(connector: source.connector, dnKey: source.dnKey) {
                if let group = try reader.csObject(id: referrer), group.objectType == .group, let groupMV = group.mvID {
                    groupsToRevisit.insert(groupMV)
                }
            }
        }
    }
}

/// A store reader handed to a closure that must be `Sendable` (an expression's context) but only ever runs
/// inside the transaction that owns the reader.
private struct UncheckedReader: @unchecked Sendable {
    let reader: any StoreReader
}
