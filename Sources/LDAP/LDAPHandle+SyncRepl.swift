internal import CLDAP

// A syncrepl refresh is one search whose response is read in batches, one call per batch, so that the
// caller can stream it: between batches the connection is free for other requests, and nothing of the
// response piles up in Swift.
extension LDAPHandle {
    /// Sends the search carrying the Sync Request control and returns its message ID.
    func startSyncRefresh(base: String, scope: LDAPScope, filter: String, attributes: [String],
                          control: LDAPControl) throws -> Int32 {
        let ld = try beginOperation(SyncReplDecoder.operation)
        return try start(SyncReplDecoder.operation, on: ld) { ld, arena, messageID in
            // No time limit for the server: how long a refresh takes depends on how fast the caller consumes
            // it. The client bounds the silence between messages instead (syncMessages).
            ldap_search_ext(ld, base, scope.libldapValue, filter, arena.stringList(attributes), 0,
                            arena.controls([control]), nil, nil, 0, &messageID)
        }
    }

    /// The next messages of refresh `messageID`: waits up to the operation timeout for one, then takes up
    /// to `limit` in all of those already received, stopping at the SearchResultDone.
    ///
    /// On any failure (cancelled, timed out, unreadable) the search is abandoned, so that the server stops
    /// sending and libldap stops queueing what still arrives.
    func syncMessages(_ messageID: Int32, limit: Int) throws -> [SyncReplMessage] {
        let operation = SyncReplDecoder.operation
        var messages: [SyncReplMessage] = []
        do {
            let ld = try beginOperation(operation)
            let deadline = ContinuousClock.now + operationTimeout
            var next: OpaquePointer? = try waitForMessage(messageID, on: ld, all: false, deadline: deadline,
                                                          operation: operation)
            while let message = next {
                defer { ldap_msgfree(message) }
                if let converted = try syncMessage(message, on: ld) { messages.append(converted) }
                if case .done = messages.last { return messages }
                next = messages.count < limit ? try receivedMessage(messageID, on: ld, operation: operation) : nil
            }
            return messages
        } catch {
            abandon(messageID)
            throw error
        }
    }

    /// Tells the server to stop sending the response to `messageID` and libldap to drop what arrives of it.
    func abandon(_ messageID: Int32) {
        guard let ld = session?.ld else { return }
        _ = ldap_abandon_ext(ld, messageID, nil, nil)
    }

    /// A message of `messageID` that has already arrived, without waiting; `nil` if none has.
    private func receivedMessage(_ messageID: Int32, on ld: OpaquePointer, operation: String) throws -> OpaquePointer? {
        var noWait = Duration.zero.cTimeval  // a zero timeout makes ldap_result poll
        var message: OpaquePointer?
        let rc = ldap_result(ld, messageID, LDAP_MSG_ONE, &noWait, &message)
        if rc == 0 { return nil }
        guard rc > 0, let message else { throw sessionError(operation: operation) }
        return message
    }

    private func syncMessage(_ message: OpaquePointer, on ld: OpaquePointer) throws -> SyncReplMessage? {
        switch messageType(message) {
        case LDAP_RES_SEARCH_ENTRY:
            return .entry(try entry(message, on: ld), controls: try entryControls(message, on: ld))
        case LDAP_RES_INTERMEDIATE:
            return try intermediate(message, on: ld)
        case LDAP_RES_SEARCH_RESULT:
            return .done(try parseResponse(message, on: ld, operation: SyncReplDecoder.operation))
        default:
            // Continuation references: referrals are not chased, and syncprov sends none for its own suffix.
            return nil
        }
    }

    private func entryControls(_ message: OpaquePointer, on ld: OpaquePointer) throws -> [LDAPControl] {
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>?
        let rc = ldap_get_entry_controls(ld, message, &controls)
        defer { ldap_controls_free(controls) }
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: SyncReplDecoder.operation) }
        return swiftControls(controls)
    }

    private func intermediate(_ message: OpaquePointer, on ld: OpaquePointer) throws -> SyncReplMessage {
        var oid: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<berval>?
        let rc = ldap_parse_intermediate(ld, message, &oid, &value, nil, 0)
        defer {
            ldap_memfree(oid)
            ber_bvfree(value)
        }
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: SyncReplDecoder.operation) }
        return .intermediate(oid: oid.map { String(cString: $0) }, value: value.map { bytes(of: $0.pointee) })
    }
}
