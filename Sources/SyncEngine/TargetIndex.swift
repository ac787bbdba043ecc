import SCIM
import SyncStore

/// Which objects the target already holds, read once per export when many creates are pending (or the
/// server cannot filter): creates are then matched here instead of with a lookup each. Only the keys are
/// kept, not the resources, so 100,000 users cost a few megabytes.
struct TargetIndex: Sendable {
    private var byExternalID: [String: String] = [:]
    private var byUserName: [String: String] = [:]
    private var externalIDOf: [String: String] = [:]

    static func load(_ target: any ExportTarget, features: SCIMFeatures) async throws -> TargetIndex {
        var index = TargetIndex()
        let pageSize = features.filterMaxResults > 0 ? min(features.filterMaxResults, 1000) : nil
        for type in [ObjectType.user, .group] {
            try await target.forEachResource(type, pageSize: pageSize) { resource in
                guard let id = resource["id"]?.stringValue else { return }
                if let externalID = resource.value(forAttribute: "externalId")?.stringValue, !externalID.isEmpty {
                    index.byExternalID[externalID] = id
                    index.externalIDOf[id] = externalID
                }
                if type == .user, let userName = resource.value(forAttribute: "userName")?.stringValue {
                    index.byUserName[userName.lowercased()] = id
                }
            }
        }
        return index
    }

    /// The target object for a create: by externalId, then (users) by userName, with the externalId it holds.
    func match(externalID: String?, userName: String?) -> (id: String, matchedBy: FoundObject.Match, holder: String?)? {
        if let externalID, let id = byExternalID[externalID] { return (id, .externalId, externalID) }
        if let userName, let id = byUserName[userName.lowercased()] { return (id, .userName, externalIDOf[id]) }
        return nil
    }
}
