internal import CLDAP

/// One message of a syncrepl search's response, copied out of libldap.
enum SyncReplMessage: Sendable {
    case entry(LDAPEntry, controls: [LDAPControl])
    /// An intermediate response (RFC 4511 §4.13): its responseName and responseValue.
    case intermediate(oid: String?, value: [UInt8]?)
    /// The SearchResultDone.
    case done(LDAPResponse)
}

/// Turns the messages of one refresh into ``SyncReplEvent``s, keeping what the present-phase rule needs:
/// the UUIDs named so far.
///
/// Anything it cannot read with certainty fails the refresh (a protocol error), because the one thing it
/// must never do is end a refresh in which a delete went unnoticed.
struct SyncReplDecoder {
    static let operation = "syncrepl refresh"

    /// A refresh without a cookie names the whole content, which makes it a present phase for a caller
    /// that already holds entries (a reload after a refresh-required error).
    private let requestHadCookie: Bool
    /// Every UUID named as present, add or modify since the refresh began.
    private(set) var named = Set<[UInt8]>()
    private(set) var presentPhase = false
    /// The newest cookie the server has sent, in any message.
    private(set) var cookie: [UInt8]?
    private(set) var isDone = false

    init(requestHadCookie: Bool) {
        self.requestHadCookie = requestHadCookie
    }

    mutating func decode(_ message: SyncReplMessage) throws(LDAPError) -> [SyncReplEvent] {
        switch message {
        case .entry(let entry, let controls):
            return [try decodeEntry(entry, controls: controls)]
        case .intermediate(let oid, let value):
            // Other intermediate responses belong to other controls; this request sent none.
            guard oid == SyncReplEncoding.infoOID else { return [] }
            guard let value, let info = SyncReplEncoding.parseInfo(value) else {
                throw Self.protocolError("unreadable Sync Info Message")
            }
            return decodeInfo(info)
        case .done(let response):
            return try decodeDone(response)
        }
    }

    private mutating func decodeEntry(_ entry: LDAPEntry, controls: [LDAPControl]) throws(LDAPError) -> SyncReplEvent {
        guard let value = controls.first(oid: SyncReplEncoding.stateOID)?.value else {
            throw Self.protocolError("entry \(entry.dn) came without a Sync State control")
        }
        guard let state = SyncReplEncoding.parseState(value) else {
            throw Self.protocolError("unreadable Sync State control on \(entry.dn)")
        }
        remember(state.cookie)
        let carriesAttributes = state.state == .add || state.state == .modify
        if state.state != .delete { named.insert(state.entryUUID) }
        return .change(SyncReplChange(state: state.state, entryUUID: state.entryUUID,
                                      entry: carriesAttributes ? entry : nil))
    }

    private mutating func decodeInfo(_ info: SyncReplEncoding.Info) -> [SyncReplEvent] {
        switch info {
        case .newCookie(let cookie):
            remember(cookie)
            return []
        case .refreshDelete(let cookie, _):
            remember(cookie)
            return []
        case .refreshPresent(let cookie, _):
            // The present phase is over, whether a delete phase follows (refreshDone FALSE) or not.
            remember(cookie)
            return endPresentPhase()
        case .idSet(let cookie, let refreshDeletes, let uuids):
            remember(cookie)
            if refreshDeletes { return [.deleted(uuids)] }
            named.formUnion(uuids)
            return [.present(uuids)]
        }
    }

    private mutating func decodeDone(_ response: LDAPResponse) throws(LDAPError) -> [SyncReplEvent] {
        guard response.code == LDAP_SUCCESS else { throw response.error(operation: Self.operation) }
        guard let value = response.controls.first(oid: SyncReplEncoding.doneOID)?.value else {
            throw Self.protocolError("the search ended without a Sync Done control")
        }
        guard let done = SyncReplEncoding.parseDone(value) else {
            throw Self.protocolError("unreadable Sync Done control")
        }
        // slapd answers a cookie it cannot parse by ignoring it: the whole content, marked as a delete phase
        // (so nothing tells the client to delete what is gone), and an empty cookie, which sent back would
        // do the same every time. Only a reload without a cookie recovers, as after e-syncRefreshRequired.
        if requestHadCookie, done.cookie == [] {
            throw LDAPError(code: LDAP_SYNC_REFRESH_REQUIRED,
                            diagnostic: "the server answered with an empty cookie: it did not recognise the one sent",
                            operation: Self.operation)
        }
        remember(done.cookie)
        isDone = true
        var events: [SyncReplEvent] = []
        if !done.refreshDeletes || !requestHadCookie {
            events += endPresentPhase()
        }
        events.append(.done(cookie: cookie))
        return events
    }

    /// At most once per refresh: a present phase comes first if at all (RFC 4533 §3.3.1).
    private mutating func endPresentPhase() -> [SyncReplEvent] {
        guard !presentPhase else { return [] }
        presentPhase = true
        return [.deleteAllExcept(named)]
    }

    private mutating func remember(_ newCookie: [UInt8]?) {
        if let newCookie, !newCookie.isEmpty { cookie = newCookie }
    }

    private static func protocolError(_ diagnostic: String) -> LDAPError {
        LDAPError.local(LDAP_PROTOCOL_ERROR, diagnostic, operation: operation)
    }
}
