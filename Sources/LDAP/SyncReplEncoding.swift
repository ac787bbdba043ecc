/// The values of the LDAP Content Synchronization Operation (RFC 4533, OpenLDAP's syncrepl): the request
/// control this client sends and the controls and intermediate messages the server answers with.
///
/// Every parser returns `nil` for a malformed value rather than guessing: a misread message could hide a
/// delete, so the refresh fails instead (see ``SyncReplDecoder``).
enum SyncReplEncoding {
    static let requestOID = "1.3.6.1.4.1.4203.1.9.1.1"
    static let stateOID = "1.3.6.1.4.1.4203.1.9.1.2"
    static let doneOID = "1.3.6.1.4.1.4203.1.9.1.3"
    /// The responseName of Sync Info Messages (intermediate responses, RFC 4511 §4.13).
    static let infoOID = "1.3.6.1.4.1.4203.1.9.1.4"

    /// `mode ENUMERATED { refreshOnly (1), refreshAndPersist (3) }`; only refreshOnly is used.
    static let refreshOnlyMode: Int64 = 1
    /// `syncUUID ::= OCTET STRING (SIZE(16))`.
    static let uuidLength = 16

    /// `SEQUENCE { mode ENUMERATED, cookie syncCookie OPTIONAL, reloadHint BOOLEAN DEFAULT FALSE }`.
    /// Critical: a server without syncrepl must refuse the search, not answer it as a plain one whose
    /// result says nothing about deletes. The DEFAULT is left out when it holds, as DER requires.
    static func refreshOnlyRequest(cookie: [UInt8]?, reloadHint: Bool) -> LDAPControl {
        var fields = [BER.enumerated(refreshOnlyMode)]
        if let cookie { fields.append(BER.octetString(cookie)) }
        if reloadHint { fields.append(BER.boolean(true)) }
        return LDAPControl(oid: requestOID, critical: true, value: BER.sequence(fields))
    }

    /// The Sync State control of one entry: `SEQUENCE { state ENUMERATED { present (0), add (1),
    /// modify (2), delete (3) }, entryUUID syncUUID, cookie syncCookie OPTIONAL }`.
    struct State: Equatable {
        var state: SyncReplChange.State
        var entryUUID: [UInt8]
        var cookie: [UInt8]?
    }

    static func parseState(_ value: [UInt8]) -> State? {
        var outer = BER.Reader(value)
        guard var fields = outer.readSequence(), outer.isAtEnd,
              let rawState = fields.readEnumerated(), let state = SyncReplChange.State(rawValue: rawState),
              let uuid = fields.readOctetString(), uuid.count == uuidLength,
              let cookie = readOptionalCookie(&fields), fields.isAtEnd else { return nil }
        return State(state: state, entryUUID: uuid, cookie: cookie)
    }

    /// The Sync Done control on the SearchResultDone: `SEQUENCE { cookie syncCookie OPTIONAL,
    /// refreshDeletes BOOLEAN DEFAULT FALSE }`. refreshDeletes FALSE means the refresh ended with a present
    /// phase: whatever was not named is gone.
    struct Done: Equatable {
        var cookie: [UInt8]?
        var refreshDeletes: Bool
    }

    static func parseDone(_ value: [UInt8]) -> Done? {
        var outer = BER.Reader(value)
        guard var fields = outer.readSequence(), outer.isAtEnd,
              let cookie = readOptionalCookie(&fields),
              let refreshDeletes = readBoolean(&fields, default: false), fields.isAtEnd else { return nil }
        return Done(cookie: cookie, refreshDeletes: refreshDeletes)
    }

    /// A Sync Info Message, the value of an intermediate response: a CHOICE of
    /// `newcookie [0] syncCookie`,
    /// `refreshDelete [1] SEQUENCE { cookie OPTIONAL, refreshDone BOOLEAN DEFAULT TRUE }`,
    /// `refreshPresent [2] SEQUENCE { cookie OPTIONAL, refreshDone BOOLEAN DEFAULT TRUE }`,
    /// `syncIdSet [3] SEQUENCE { cookie OPTIONAL, refreshDeletes BOOLEAN DEFAULT FALSE, syncUUIDs SET OF syncUUID }`.
    enum Info: Equatable {
        case newCookie([UInt8])
        /// The end of a delete phase.
        case refreshDelete(cookie: [UInt8]?, refreshDone: Bool)
        /// The end of a present phase.
        case refreshPresent(cookie: [UInt8]?, refreshDone: Bool)
        /// Many entries at once, without attributes: deleted ones (refreshDeletes TRUE) or present ones.
        case idSet(cookie: [UInt8]?, refreshDeletes: Bool, uuids: [[UInt8]])
    }

    static let newCookieTag = BER.contextTag(0, constructed: false)
    static let refreshDeleteTag = BER.contextTag(1, constructed: true)
    static let refreshPresentTag = BER.contextTag(2, constructed: true)
    static let idSetTag = BER.contextTag(3, constructed: true)

    static func parseInfo(_ value: [UInt8]) -> Info? {
        var reader = BER.Reader(value)
        let info: Info?
        switch reader.nextTag {
        case newCookieTag:
            info = reader.read(tag: newCookieTag).map { .newCookie(Array($0)) }
        case refreshDeleteTag:
            info = readPhaseEnd(&reader, tag: refreshDeleteTag).map { .refreshDelete(cookie: $0.cookie, refreshDone: $0.refreshDone) }
        case refreshPresentTag:
            info = readPhaseEnd(&reader, tag: refreshPresentTag).map { .refreshPresent(cookie: $0.cookie, refreshDone: $0.refreshDone) }
        case idSetTag:
            info = readIDSet(&reader)
        default:
            info = nil
        }
        return reader.isAtEnd ? info : nil
    }

    private static func readPhaseEnd(_ reader: inout BER.Reader, tag: UInt8) -> (cookie: [UInt8]?, refreshDone: Bool)? {
        guard var fields = reader.readConstructed(tag: tag),
              let cookie = readOptionalCookie(&fields),
              let refreshDone = readBoolean(&fields, default: true), fields.isAtEnd else { return nil }
        return (cookie, refreshDone)
    }

    private static func readIDSet(_ reader: inout BER.Reader) -> Info? {
        guard var fields = reader.readConstructed(tag: idSetTag),
              let cookie = readOptionalCookie(&fields),
              let refreshDeletes = readBoolean(&fields, default: false),
              var set = fields.readConstructed(tag: BER.setTag), fields.isAtEnd else { return nil }
        var uuids: [[UInt8]] = []
        while !set.isAtEnd {
            guard let uuid = set.readOctetString(), uuid.count == uuidLength else { return nil }
            uuids.append(uuid)
        }
        return .idSet(cookie: cookie, refreshDeletes: refreshDeletes, uuids: uuids)
    }

    /// An OPTIONAL syncCookie: `.some(nil)` when absent, `nil` when malformed.
    private static func readOptionalCookie(_ fields: inout BER.Reader) -> [UInt8]?? {
        guard fields.nextTag == BER.octetStringTag else { return .some(nil) }
        return fields.readOctetString().map { .some($0) }
    }

    /// A BOOLEAN with a DEFAULT, which the sender leaves out when it holds; `nil` when malformed.
    private static func readBoolean(_ fields: inout BER.Reader, default defaultValue: Bool) -> Bool? {
        guard fields.nextTag == BER.booleanTag else { return defaultValue }
        return fields.readBoolean()
    }
}
