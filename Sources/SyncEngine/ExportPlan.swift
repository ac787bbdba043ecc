import SCIM
import SyncStore

/// One pending export, ready to send.
struct ExportWork: Sendable {
    let export: PendingExport
    let object: CSObject
    /// What the target holds once the request succeeds: the values, and the references (to metaverse
    /// objects, the unresolved left out).
    let written: AttributeMap
    let writtenReferences: ReferenceMap
    let unresolved: Set<Reference>
    let types: [String: ObjectType]
    var request: ExportRequest
    /// A create that found the object in the target already (first contact): joined, then patched.
    var adoptedID: String?
}

enum ExportRequest: Sendable {
    case create(JSON)
    case patch(id: String, [SCIMPatchOperation], old: AttributeMap, new: AttributeMap)
    case delete(id: String?)
    /// Nothing to send (an adopted object that already matches).
    case none
    /// A create waiting for the objects it refers to.
    case deferred
    /// Not sent: refused before sending (a userName anchored to another object), or a lookup for it failed.
    case notSent(ObjectError)
}

/// Turns one pending export into the request that applies it: a PATCH of the differences with what was
/// exported, a create — after looking for the object in the target first (first contact), adopting it
/// when found — a delete, or nothing to send yet (a create waiting for the objects it refers to).
struct ExportPlanner: Sendable {
    let target: any ExportTarget
    let calls: TargetCalls

    /// `resolved`: the desired state with references as target ids; `before`: what was exported, likewise.
    func prepare(_ export: PendingExport, _ object: CSObject, _ resolved: ResolvedAttributes, before: AttributeMap?,
                 _ context: ExportContext, deferring: Bool) async throws -> ExportWork {
        if export.operation == .delete {
            return ExportWork(export: export, object: object, written: [:], writtenReferences: [:], unresolved: [], types: [:],
                              request: .delete(id: object.anchor))
        }
        let (desired, unresolved, types) = resolved
        if object.objectType == .user, desired.first("userName") == nil {
            let error = ObjectError("has no userPrincipalName, which the target needs as userName: not provisioned",
                                    attribute: "userPrincipalName")
            return ExportWork(export: export, object: object, written: [:], writtenReferences: [:], unresolved: [], types: [:],
                              request: .notSent(error))
        }
        let writtenReferences = export.references.mapValues { $0.filter { !unresolved.contains($0) } }.filter { !$0.value.isEmpty }
        var work = ExportWork(export: export, object: object, written: export.attributes, writtenReferences: writtenReferences,
                              unresolved: unresolved, types: types, request: .none)
        if let anchor = object.anchor, let before {
            let old = managedPart(of: before, object.objectType, writing: desired, context)
            work.request = .patch(id: anchor, patchOperations(object.objectType, from: old, to: desired, types: types, context),
                                  old: old, new: desired)
            return work
        }
        if deferring && !unresolved.isEmpty {
            work.request = .deferred
            return work
        }
        return try await firstContact(work, object, desired, types, context)
    }

    /// First contact: does the target hold it already? Then join it (adopt), else create it.
    private func firstContact(_ work: ExportWork, _ object: CSObject, _ desired: AttributeMap, _ types: [String: ObjectType],
                              _ context: ExportContext) async throws -> ExportWork {
        var work = work
        let externalID = desired.first("externalId"), userName = object.objectType == .user ? desired.first("userName") : nil
        let found: TargetLookup.Match?
        do {
            found = try await context.lookup.find(object.objectType, externalID: externalID, userName: userName)
        } catch let error as SCIMError {
            work.request = .notSent(ObjectError("looking for it in the target: \(error)"))
            return work
        }
        guard let found else {
            work.request = .create(SCIMMapping.resource(object.objectType, desired, references: target.references(types),
                                                        schema: context.schema))
            return work
        }
        if found.matchedBy == .userName, let holder = found.holder, !holder.isEmpty, holder != externalID {
            work.request = .notSent(ObjectError("userName \(userName ?? "") is already used in the target by object \(found.id) "
                                                + "anchored to externalId \(holder): not taken over", attribute: "userName"))
            return work
        }
        // Join it, then send only the differences with what it holds.
        let resource: JSON
        do {
            resource = try await calls.call(perObject: true) { try await target.get(object.objectType, id: found.id) }
        } catch let error as SCIMError {
            work.request = .notSent(ObjectError("reading \(found.id) in the target: \(error)"))
            return work
        }
        let actual = SCIMMapping.attributes(object.objectType, from: resource,
                                            managed: context.managed(object.objectType).map { $0.union(desired.keys) },
                                            schema: context.schema)
        let operations = patchOperations(object.objectType, from: actual, to: desired, types: types, context)
        work.adoptedID = found.id
        work.request = operations.isEmpty ? .none : .patch(id: found.id, operations, old: actual, new: desired)
        return work
    }

    private func patchOperations(_ type: ObjectType, from old: AttributeMap, to new: AttributeMap, types: [String: ObjectType],
                                 _ context: ExportContext) -> [SCIMPatchOperation] {
        SCIMMapping.patchOperations(type, from: old, to: new, references: target.references(types),
                                    replaceMembers: !target.removesMembersByFilter, schema: context.schema)
    }

    /// What was exported, limited to what idsync manages in the target now: the attributes the rules flow
    /// there, and whatever the export writes (`active` of a disabled user). An attribute the rules no longer
    /// flow is left as the target has it, never removed.
    private func managedPart(of before: AttributeMap, _ type: ObjectType, writing desired: AttributeMap,
                             _ context: ExportContext) -> AttributeMap {
        guard let managed = context.managed(type) else { return before }
        return before.filter { managed.contains($0.key) || desired[$0.key] != nil }
    }
}
