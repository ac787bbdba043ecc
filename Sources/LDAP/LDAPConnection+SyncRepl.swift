extension LDAPConnection {
    /// A syncrepl refresh (RFC 4533, refreshOnly mode) as a stream of events: what changed in
    /// `base`/`scope`/`filter` since `cookie`, or the whole content without one.
    ///
    /// - Parameters:
    ///   - attributes: as for ``search(base:scope:filter:attributes:controls:sizeLimit:)``; empty for all
    ///     user attributes.
    ///   - cookie: the last one the server sent for this same base, scope and filter; `nil` (or empty) for
    ///     the whole content.
    ///   - reloadHint: tells the server that a whole reload is acceptable if the cookie is too old; without
    ///     it a server may fail the refresh with ``LDAPError/isSyncRefreshRequired``.
    ///
    /// Iteration throws ``LDAPError/isSyncRefreshRequired`` when the cookie cannot be used: refresh again
    /// without one, which names the whole content and ends with a ``SyncReplEvent/deleteAllExcept(_:)``.
    public func syncReplEvents(
        base: String, scope: LDAPScope, filter: String, attributes: [String],
        cookie: [UInt8]?, reloadHint: Bool = false
    ) -> SyncReplRefresh {
        SyncReplRefresh(connection: self, base: base, scope: scope, filter: filter, attributes: attributes,
                        cookie: cookie.flatMap { $0.isEmpty ? nil : $0 }, reloadHint: reloadHint)
    }

    /// A syncrepl refresh (RFC 4533, refreshOnly mode) collected in memory; see
    /// ``syncReplEvents(base:scope:filter:attributes:cookie:reloadHint:)`` for the parameters and errors,
    /// and ``SyncReplResult/reconcile(holding:)`` for the deletes and the next cookie.
    public func syncReplRefresh(
        base: String, scope: LDAPScope, filter: String, attributes: [String],
        cookie: [UInt8]?, reloadHint: Bool = false
    ) async throws -> SyncReplResult {
        var changes: [SyncReplChange] = []
        var deleted: [[UInt8]] = []
        var present: [[UInt8]] = []
        var named: Set<[UInt8]>?
        var finalCookie: [UInt8]?
        let events = syncReplEvents(base: base, scope: scope, filter: filter, attributes: attributes,
                                    cookie: cookie, reloadHint: reloadHint)
        for try await event in events {
            switch event {
            case .change(let change): changes.append(change)
            case .deleted(let uuids): deleted += uuids
            case .present(let uuids): present += uuids
            case .deleteAllExcept(let stillThere): named = stillThere
            case .done(let cookie): finalCookie = cookie
            }
        }
        return SyncReplResult(changes: changes, deletedUUIDs: deleted, presentUUIDs: present,
                              presentPhase: named != nil, named: named ?? [], cookie: finalCookie)
    }
}
