/// One entry as a syncrepl refresh (RFC 4533) names it: its state and its `entryUUID`, with its attributes
/// when it was added or changed.
public struct SyncReplChange: Sendable, Equatable {
    public enum State: Int64, Sendable {
        /// Unchanged since the cookie and still in scope; no attributes are sent.
        case present = 0
        /// New or changed since the cookie. OpenLDAP's syncprov reports changed entries as `add` too, so a
        /// caller tells new from changed by whether it holds the UUID.
        case add = 1
        case modify = 2
        /// Deleted, or no longer in scope; no attributes are sent.
        case delete = 3
    }

    public let state: State
    /// The 16 bytes of the entry's `entryUUID`, from its Sync State control (see ``OpenLDAP/uuidString(_:)``).
    public let entryUUID: [UInt8]
    /// The entry for `add` and `modify`; `nil` for `present` and `delete`, which carry no attributes.
    public let entry: LDAPEntry?

    public init(state: State, entryUUID: [UInt8], entry: LDAPEntry?) {
        self.state = state
        self.entryUUID = entryUUID
        self.entry = entry
    }
}

/// One step of a syncrepl refresh, in the order the server sent it (``LDAPConnection/syncReplEvents(base:scope:filter:attributes:cookie:reloadHint:)``).
///
/// Deletes arrive in three shapes: an entry whose state is `delete`, a ``deleted(_:)`` set, and — the one
/// consumers miss (LSC issue #486) — a ``deleteAllExcept(_:)`` at the end of a present phase, where the
/// server names everything that still exists and leaves the consumer to delete the rest. Switching over
/// the events without a `default:` makes the compiler check that each shape is handled.
public enum SyncReplEvent: Sendable, Equatable {
    /// One entry and its state: add or modify with attributes, present or delete without.
    case change(SyncReplChange)
    /// These entries were deleted or left the scope (a syncIdSet with refreshDeletes TRUE).
    case deleted([[UInt8]])
    /// These entries are unchanged and still in scope (a syncIdSet with refreshDeletes FALSE).
    case present([[UInt8]])
    /// A present phase ended: every entry still in scope has been named since the refresh began (as
    /// present, add or modify), and the set holds their UUIDs. Delete every entry you hold for this base,
    /// scope and filter that is not in it. Also sent after a refresh without a cookie, which names the
    /// whole content (OpenLDAP marks that one as a delete phase, yet names no deletes).
    case deleteAllExcept(Set<[UInt8]>)
    /// The refresh is complete. Store `cookie` once everything before it is applied; `nil` when the server
    /// sent none (nothing changed), in which case the cookie you sent is still current.
    case done(cookie: [UInt8]?)
}

/// A whole syncrepl refresh, collected in memory
/// (``LDAPConnection/syncReplRefresh(base:scope:filter:attributes:cookie:reloadHint:)``).
///
/// The next cookie is only to be had from ``reconcile(holding:)``, together with the deletes: a caller
/// cannot store a cookie that acknowledges deletes it never saw.
public struct SyncReplResult: Sendable {
    /// Per-entry states in the order received: add/modify carry the entry, present/delete only the UUID.
    public let changes: [SyncReplChange]
    /// UUIDs named in syncIdSets as deleted (refreshDeletes TRUE), as OpenLDAP sends deletes that its
    /// session log covers.
    public let deletedUUIDs: [[UInt8]]
    /// UUIDs named in syncIdSets as present (refreshDeletes FALSE), as OpenLDAP names unchanged entries in
    /// a present phase.
    public let presentUUIDs: [[UInt8]]
    /// Whether everything still in scope was named, as present, add or modify, so that whatever the caller
    /// holds in scope and was not named is gone: the server ran a present phase, or the request had no
    /// cookie (the whole content). False when the server sent its deletes explicitly.
    public let presentPhase: Bool
    /// Every UUID named as present, add or modify.
    let named: Set<[UInt8]>
    let cookie: [UInt8]?

    /// The entries to delete — the ones deleted explicitly and, after a present phase, every UUID in `held`
    /// that the server did not name — and the cookie to store once they and ``changes`` are applied (`nil`:
    /// keep the one you sent).
    ///
    /// - Parameter held: the entryUUIDs the caller holds for this base, scope and filter. Only read after
    ///   a present phase.
    public func reconcile(holding held: some Sequence<[UInt8]>) -> (deletions: [[UInt8]], cookie: [UInt8]?) {
        var deletions: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        func delete(_ uuid: [UInt8]) {
            if seen.insert(uuid).inserted { deletions.append(uuid) }
        }
        changes.filter { $0.state == .delete }.forEach { delete($0.entryUUID) }
        deletedUUIDs.forEach(delete)
        if presentPhase {
            held.filter { !named.contains($0) }.forEach(delete)
        }
        return (deletions, cookie)
    }
}
