import SCIM
import SyncStore

/// What the export needs from a target directory: its limits and the SCIM requests themselves, each
/// answered as the service answered it (a 404 throws). idsync's policy over those requests — how an
/// existing object is looked for, the fallback for servers that refuse member removal by filter, a delete
/// of something already gone — is written once, in the extension below, for every target.
/// `SCIMTargetConnector` is the real one; the tests use an in-memory one.
protocol ExportTarget: Sendable {
    var name: String { get }
    /// Single requests in flight at once, when they are not sent through Bulk.
    var concurrency: Int { get }
    /// What the service provider supports (Bulk limits, filtering).
    func features() async throws -> SCIMFeatures
    /// The target's schemas and resource types (`/Schemas`, `/ResourceTypes`); nil when it serves none.
    func schemaCatalog() async throws -> SCIMSchemaCatalog?
    /// How member references are written for this target (`$ref` needs its base URL).
    func references(_ types: [String: ObjectType]) -> SCIMMapping.References

    /// Whether member removals are still sent by value filter; false once the target refused one.
    var removesMembersByFilter: Bool { get }
    /// Remembers that the target refused a removal by value filter: member changes replace the list from now on.
    func stopRemovingMembersByFilter()

    /// The resources whose `attribute` equals `value` (a SCIM `eq` filter).
    func find(_ type: ObjectType, attribute: String, equals value: String, caseSensitive: Bool) async throws -> [JSON]
    /// Every resource of a type, a page at a time (`pageSize` nil: the server's own paging).
    func forEachResource(_ type: ObjectType, pageSize: Int?, _ body: (JSON) throws -> Void) async throws
    func get(_ type: ObjectType, id: String) async throws -> JSON
    /// Creates the resource; returns it as the service answered (with its `id`).
    func create(_ type: ObjectType, _ resource: JSON) async throws -> JSON
    func patch(_ type: ObjectType, id: String, _ operations: [SCIMPatchOperation]) async throws
    func delete(_ type: ObjectType, id: String) async throws
    /// Sends operations in one Bulk request; results come back in request order. The request as a whole
    /// failing (not one of its operations) throws.
    func bulk(_ operations: [SCIMBulkOperation]) async throws -> [SCIMBulkResult]
}

/// A target object found for an object idsync has not created yet (first contact).
struct FoundObject {
    enum Match { case externalId, userName }
    let resource: JSON
    let matchedBy: Match
    var id: String { resource["id"]?.stringValue ?? "" }
}

extension ExportTarget {
    /// What the target already holds for an object idsync has not created (first contact): matched by
    /// externalId, then — for users — by userName. Results are checked here, never taken on trust from
    /// the server's filter.
    func findExisting(_ type: ObjectType, externalId: String?, userName: String?) async throws -> FoundObject? {
        if let externalId, let match = try await find(type, attribute: "externalId", equals: externalId, caseSensitive: true).first {
            return FoundObject(resource: match, matchedBy: .externalId)
        }
        if type == .user, let userName, let match = try await find(type, attribute: "userName", equals: userName, caseSensitive: false).first {
            return FoundObject(resource: match, matchedBy: .userName)
        }
        return nil
    }

    /// Which objects the target holds, read once (see `TargetIndex`).
    func loadIndex(features: SCIMFeatures) async throws -> TargetIndex {
        try await TargetIndex.load(self, features: features)
    }

    /// Sends only what differs between `old` and `new`; nothing when they are equal. Returns whether a request was sent.
    /// `types`: the object type of each referenced id; `schema`: the target's, which shapes the values.
    @discardableResult
    func update(_ type: ObjectType, id: String, from old: AttributeMap, to new: AttributeMap,
                types: [String: ObjectType], schema: SCIMSchemaCatalog? = nil) async throws -> Bool {
        let byFilter = removesMembersByFilter
        let operations = SCIMMapping.patchOperations(type, from: old, to: new, references: references(types), replaceMembers: !byFilter,
                                                     schema: schema)
        guard !operations.isEmpty else { return false }
        do {
            try await patch(type, id: id, operations)
        } catch let error as SCIMError where SCIMMapping.removesMembersByFilter(operations)
                    && [400, 500, 501].contains(error.status ?? 0) {
            // A server that cannot remove by filter (a PATCH fails whole, RFC 7644 §3.5.2): send the list.
            stopRemovingMembersByFilter()
            try await patch(type, id: id, SCIMMapping.patchOperations(type, from: old, to: new, references: references(types),
                                                                      replaceMembers: true, schema: schema))
        }
        return true
    }

    /// Deletes the object; one already gone counts as deleted.
    func deleteIfPresent(_ type: ObjectType, id: String) async throws {
        do {
            try await delete(type, id: id)
        } catch let error as SCIMError where error.isNotFound {
            return
        }
    }
}
