@testable import LDAP
import Testing

/// The rules that turn a refresh's messages into events and deletes, on message sequences shaped like
/// slapd's (with its captured values) and like what RFC 4533 allows but slapd does not send.
@Suite("Syncrepl decoding and reconciling (no server)")
struct SyncReplDecoderTests {
    static let ann = [UInt8](repeating: 0xA1, count: 16)
    static let bob = [UInt8](repeating: 0xB0, count: 16)
    static let cat = [UInt8](repeating: 0xCA, count: 16)
    static let cookie = Array("rid=000,csn=1".utf8)

    @Test func presentPhaseAsSlapdSendsIt() throws {
        // Held: ann, bob, cat. ann changed, bob is gone, cat is named present in a syncIdSet.
        var decoder = SyncReplDecoder(requestHadCookie: true)
        let events = try decode(&decoder, [
            .intermediate(oid: SyncReplEncoding.infoOID, value: idSet(refreshDeletes: false, [Self.ann, Self.cat])),
            entry("ann", state: 1, Self.ann),
            done(refreshDeletes: false, cookie: Self.cookie),
        ])
        #expect(events == [
            .present([Self.ann, Self.cat]),
            .change(SyncReplChange(state: .add, entryUUID: Self.ann, entry: Self.annEntry)),
            .deleteAllExcept([Self.ann, Self.cat]),
            .done(cookie: Self.cookie),
        ])
        #expect(decoder.isDone)
    }

    @Test func presentEntriesCountAsNamed() throws {
        // RFC 4533 also lets a server name present entries one by one, as entries without attributes.
        var decoder = SyncReplDecoder(requestHadCookie: true)
        let events = try decode(&decoder, [
            entry("ann", state: 0, Self.ann),
            done(refreshDeletes: false, cookie: nil),
        ])
        #expect(events.first == .change(SyncReplChange(state: .present, entryUUID: Self.ann, entry: nil)))
        #expect(events.dropFirst().first == .deleteAllExcept([Self.ann]))
    }

    @Test func deletePhaseNamesItsDeletes() throws {
        var decoder = SyncReplDecoder(requestHadCookie: true)
        let events = try decode(&decoder, [
            .intermediate(oid: SyncReplEncoding.infoOID, value: idSet(refreshDeletes: true, [Self.bob])),
            entry("cat", state: 3, Self.cat),
            done(refreshDeletes: true, cookie: Self.cookie),
        ])
        #expect(events == [
            .deleted([Self.bob]),
            .change(SyncReplChange(state: .delete, entryUUID: Self.cat, entry: nil)),
            .done(cookie: Self.cookie),
        ])
    }

    @Test func aPresentPhaseThenADeletePhaseEndsThePresentPhaseOnce() throws {
        var decoder = SyncReplDecoder(requestHadCookie: true)
        let events = try decode(&decoder, [
            .intermediate(oid: SyncReplEncoding.infoOID, value: idSet(refreshDeletes: false, [Self.ann])),
            .intermediate(oid: SyncReplEncoding.infoOID, value: BER.element(0xA2, BER.boolean(false))),
            .intermediate(oid: SyncReplEncoding.infoOID, value: idSet(refreshDeletes: true, [Self.bob])),
            done(refreshDeletes: false, cookie: nil),
        ])
        #expect(events == [.present([Self.ann]), .deleteAllExcept([Self.ann]), .deleted([Self.bob]), .done(cookie: nil)])
    }

    @Test func withoutACookieTheWholeContentIsNamedWhateverTheDoneControlSays() throws {
        // slapd ends the initial content with refreshDeletes TRUE (captured).
        var decoder = SyncReplDecoder(requestHadCookie: false)
        let events = try decode(&decoder, [
            entry("ann", state: 1, Self.ann),
            .done(LDAPResponse(code: 0, diagnostic: nil, referrals: [],
                               controls: [LDAPControl(oid: SyncReplEncoding.doneOID, value: SlapdCaptures.doneInitial)],
                               extendedValue: nil)),
        ])
        #expect(events.suffix(2) == [.deleteAllExcept([Self.ann]),
                                     .done(cookie: Array(SlapdCaptures.doneInitialCookie.utf8))])
    }

    @Test func theNewestCookieWinsAndAnUnchangedRefreshHasNone() throws {
        var decoder = SyncReplDecoder(requestHadCookie: true)
        let events = try decode(&decoder, [
            .intermediate(oid: SyncReplEncoding.infoOID, value: BER.element(0x80, Array("first".utf8))),
            .intermediate(oid: SyncReplEncoding.infoOID, value: SlapdCaptures.deleteIDSet),
            done(refreshDeletes: true, cookie: nil),
        ])
        #expect(events.last == .done(cookie: Array(SlapdCaptures.deleteIDSetCookie.utf8)))

        var unchanged = SyncReplDecoder(requestHadCookie: true)
        let nothing = try decode(&unchanged, [.done(LDAPResponse(
            code: 0, diagnostic: nil, referrals: [],
            controls: [LDAPControl(oid: SyncReplEncoding.doneOID, value: SlapdCaptures.doneUnchanged)], extendedValue: nil))])
        #expect(nothing == [.done(cookie: nil)])
    }

    @Test func otherIntermediateResponsesAreIgnored() throws {
        var decoder = SyncReplDecoder(requestHadCookie: true)
        #expect(try decoder.decode(.intermediate(oid: "1.2.3.4", value: [0xFF])) == [])
        #expect(try decoder.decode(.intermediate(oid: nil, value: nil)) == [])
    }

    @Test func whatCannotBeReadFailsTheRefresh() {
        func error(_ message: SyncReplMessage, requestHadCookie: Bool = true) -> LDAPError? {
            var decoder = SyncReplDecoder(requestHadCookie: requestHadCookie)
            do {
                _ = try decoder.decode(message)
                return nil
            } catch {
                return error
            }
        }
        let noControl = SyncReplMessage.entry(LDAPEntry(dn: "uid=x", attributes: [:]), controls: [])
        #expect(error(noControl)?.code == 2, "an entry without a Sync State control")
        let badState = SyncReplMessage.entry(LDAPEntry(dn: "uid=x", attributes: [:]),
                                             controls: [LDAPControl(oid: SyncReplEncoding.stateOID, value: [0x30, 0x00])])
        #expect(error(badState)?.code == 2)
        #expect(error(.intermediate(oid: SyncReplEncoding.infoOID, value: [0xA4, 0x00]))?.code == 2)
        #expect(error(.intermediate(oid: SyncReplEncoding.infoOID, value: nil))?.code == 2)
        let noDone = SyncReplMessage.done(LDAPResponse(code: 0, diagnostic: nil, referrals: [], controls: [], extendedValue: nil))
        #expect(error(noDone)?.code == 2, "a SearchResultDone without a Sync Done control")

        let refused = SyncReplMessage.done(LDAPResponse(code: 4096, diagnostic: "sync cookie is stale", referrals: [],
                                                         controls: [], extendedValue: nil))
        #expect(error(refused)?.isSyncRefreshRequired == true)
        #expect(error(refused)?.diagnostic == "sync cookie is stale")

        // slapd's answer to a cookie it cannot parse (captured): an empty cookie.
        let ignored = SyncReplMessage.done(LDAPResponse(
            code: 0, diagnostic: nil, referrals: [],
            controls: [LDAPControl(oid: SyncReplEncoding.doneOID, value: SlapdCaptures.doneBogusCookie)], extendedValue: nil))
        #expect(error(ignored)?.isSyncRefreshRequired == true)
        #expect(error(ignored, requestHadCookie: false) == nil, "no cookie sent, none to be refused")
    }

    @Test func reconcileDeletesWhatIsNamedDeletedAndAfterAPresentPhaseWhatIsNotNamed() {
        let stranger = [UInt8](repeating: 0x01, count: 16)
        let presentPhase = SyncReplResult(
            changes: [SyncReplChange(state: .add, entryUUID: Self.ann, entry: Self.annEntry)],
            deletedUUIDs: [], presentUUIDs: [Self.cat], presentPhase: true, named: [Self.ann, Self.cat],
            cookie: Self.cookie)
        let reconciled = presentPhase.reconcile(holding: [Self.ann, Self.bob, Self.cat, stranger])
        #expect(reconciled.deletions == [Self.bob, stranger])
        #expect(reconciled.cookie == Self.cookie)

        let deletePhase = SyncReplResult(
            changes: [SyncReplChange(state: .delete, entryUUID: Self.cat, entry: nil)],
            deletedUUIDs: [Self.bob, Self.cat], presentUUIDs: [], presentPhase: false, named: [], cookie: nil)
        // Not after a present phase: what is held and not named stays; explicit deletes come once each.
        #expect(deletePhase.reconcile(holding: [Self.ann, Self.bob, Self.cat]).deletions == [Self.cat, Self.bob])
        #expect(deletePhase.reconcile(holding: []).cookie == nil)
    }

    // MARK: - Messages

    static let annEntry = LDAPEntry(dn: "uid=ann,ou=people,dc=example,dc=test", attributes: ["cn": [LDAPValue(utf8: "Ann")]])

    private func entry(_ uid: String, state: Int64, _ uuid: [UInt8]) -> SyncReplMessage {
        let entry = uid == "ann" ? Self.annEntry : LDAPEntry(dn: "uid=\(uid),ou=people,dc=example,dc=test", attributes: [:])
        let value = BER.sequence([BER.enumerated(state), BER.octetString(uuid)])
        return .entry(entry, controls: [LDAPControl(oid: SyncReplEncoding.stateOID, value: value)])
    }

    private func idSet(refreshDeletes: Bool, _ uuids: [[UInt8]]) -> [UInt8] {
        BER.element(0xA3, (refreshDeletes ? BER.boolean(true) : []) + BER.element(0x31, uuids.flatMap(BER.octetString)))
    }

    private func done(refreshDeletes: Bool, cookie: [UInt8]?) -> SyncReplMessage {
        let fields = (cookie.map { BER.octetString($0) } ?? []) + (refreshDeletes ? BER.boolean(true) : [])
        return .done(LDAPResponse(code: 0, diagnostic: nil, referrals: [],
                                  controls: [LDAPControl(oid: SyncReplEncoding.doneOID, value: BER.element(0x30, fields))],
                                  extendedValue: nil))
    }

    private func decode(_ decoder: inout SyncReplDecoder, _ messages: [SyncReplMessage]) throws -> [SyncReplEvent] {
        try messages.flatMap { try decoder.decode($0) }
    }
}
