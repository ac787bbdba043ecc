import Logging
import SCIM
import SyncStore

/// How an export finds an object the target may hold already (first contact): with a filter per object,
/// or in one listing of the target read once for the run (``TargetIndex``) — from the start when many
/// creates are pending or the server says it cannot filter, and from the moment its filters turn out not
/// to work. Servers that advertise filtering answer an `externalId eq` filter with 500, 501 or
/// 400 invalidFilter; without the fallback every create would wait on a lookup that never succeeds.
actor TargetLookup {
    typealias Match = (id: String, matchedBy: FoundObject.Match, holder: String?)

    /// A 500 is tried this many times before the filter is judged broken: one 500 may be the server's bad
    /// moment, and the listing it costs is a read of the whole target.
    static let serverErrorTries = 3

    private let target: any ExportTarget
    private let features: SCIMFeatures
    private let calls: TargetCalls
    private let logger: Logger
    private var index: TargetIndex?
    private var loading: Task<TargetIndex, any Error>?
    /// A listing was in use and was dropped: the next lookup reads a new one rather than filter.
    private var relist = false

    init(target: any ExportTarget, features: SCIMFeatures, calls: TargetCalls, logger: Logger) {
        self.target = target; self.features = features; self.calls = calls; self.logger = logger
    }

    /// Reads the listing now (many creates pending, or no filter support).
    func useListing() async throws { _ = try await listing() }

    /// The target's object of this type for a create: by externalId, then (users) by userName, with the
    /// externalId it holds. Throws the SCIMError of a lookup that failed for this object only.
    func find(_ type: ObjectType, externalID: String?, userName: String?) async throws -> Match? {
        if let index { return index.match(type, externalID: externalID, userName: userName) }
        if relist { return try await listing().match(type, externalID: externalID, userName: userName) }
        let target = target, calls = calls
        var tries = 0
        while true {
            tries += 1
            do {
                return try await calls.call(perObject: true) {
                    try await target.findExisting(type, externalId: externalID, userName: userName)
                }.map { ($0.id, $0.matchedBy, $0.resource.value(forAttribute: "externalId")?.stringValue) }
            } catch let error as SCIMError where Self.filterRefused(error) || (error.status == 500 && tries >= Self.serverErrorTries) {
                if index == nil && loading == nil {
                    logger.warning("the target's filter does not work; idsync reads the whole target once for this run and matches there",
                                   metadata: ["connector": "\(calls.connector)", "error": "\(error)"])
                }
                return try await listing().match(type, externalID: externalID, userName: userName)
            } catch let error as SCIMError where error.status == 500 {
                continue
            }
        }
    }

    /// Drops the listing (if one is in use), so the next lookup reads the target again: after a request
    /// that may have changed it without saying what.
    func forgetListing() {
        guard index != nil || loading != nil else { return }
        index = nil
        loading = nil
        relist = true
    }

    /// 501 Not Implemented, or 400 for the filter itself (invalidFilter, or no reason given).
    private static func filterRefused(_ error: SCIMError) -> Bool {
        error.status == 501 || (error.status == 400 && (error.scimType == nil || error.scimType == "invalidFilter"))
    }

    /// The listing, read once; concurrent lookups wait for the same read. A listing that cannot be read
    /// fails the run (``TargetCalls``), so it is not tried again.
    private func listing() async throws -> TargetIndex {
        if let index { return index }
        if let loading { return try await loading.value }
        let target = target, features = features, calls = calls
        let task = Task { try await calls.call { try await target.loadIndex(features: features) } }
        loading = task
        let loaded = try await task.value
        index = loaded
        return loaded
    }
}
