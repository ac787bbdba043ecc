import SCIM
import SyncStore

/// Which objects the target already holds, read once per export when many creates are pending (or the
/// server cannot filter): creates are then matched here instead of with a lookup each. Only the keys are
/// kept, not the resources, so 100,000 users cost a few megabytes.
struct TargetIndex: Sendable {
    /// One resource type's keys. Per type: a service may give a user and a group the same id.
    private struct Keys: Sendable {
        var byExternalID: [String: String] = [:]
        var byUserName: [String: String] = [:]
        var externalIDOf: [String: String] = [:]
    }
    private var keys: [ObjectType: Keys] = [:]

    static func load(_ target: any ExportTarget, features: SCIMFeatures) async throws -> TargetIndex {
        var index = TargetIndex()
        let pageSize = features.filterMaxResults > 0 ? min(features.filterMaxResults, 1000) : nil
        for type in ObjectType.allCases {
            var keys = Keys()
            try await target.forEachResource(type, pageSize: pageSize) { resource in
                guard let id = resource["id"]?.stringValue else { return }
                if let externalID = resource.value(forAttribute: "externalId")?.stringValue, !externalID.isEmpty {
                    keys.byExternalID[externalID] = id
                    keys.externalIDOf[id] = externalID
                }
                if type == .user, let userName = resource.value(forAttribute: "userName")?.stringValue {
                    keys.byUserName[userName.lowercased()] = id
                }
            }
            index.keys[type] = keys
        }
        return index
    }

    /// The target object of this type for a create: by externalId, then (users) by userName, with the
    /// externalId it holds.
    func match(_ type: ObjectType, externalID: String?, userName: String?) -> TargetLookup.Match? {
        guard let keys = keys[type] else { return nil }
        if let externalID, let id = keys.byExternalID[externalID] { return (id, .externalId, externalID) }
        if let userName, let id = keys.byUserName[userName.lowercased()] { return (id, .userName, keys.externalIDOf[id]) }
        return nil
    }
}
