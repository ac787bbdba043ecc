@testable import LDAP
import Testing

/// The syncrepl controls and Sync Info Messages (RFC 4533 §2) against values captured from slapd and
/// ldapsearch, and against hand-built encodings of what slapd happened not to send.
@Suite("Syncrepl encoding (no server)")
struct SyncReplEncodingTests {
    typealias Encoding = SyncReplEncoding

    @Test func requestControlIsWhatLibLDAPsLdapsearchSends() throws {
        let withCookie = Encoding.refreshOnlyRequest(cookie: SlapdCaptures.requestCookie, reloadHint: false)
        #expect(withCookie.oid == "1.3.6.1.4.1.4203.1.9.1.1")
        #expect(withCookie.critical)
        #expect(withCookie.value == SlapdCaptures.requestWithCookie)
        #expect(Encoding.refreshOnlyRequest(cookie: nil, reloadHint: false).value == SlapdCaptures.requestWithoutCookie)
    }

    @Test func requestControlWithReloadHint() {
        // reloadHint is sent only when TRUE (DEFAULT FALSE), after the cookie.
        #expect(Encoding.refreshOnlyRequest(cookie: nil, reloadHint: true).value
                == [0x30, 0x06, 0x0A, 0x01, 0x01, 0x01, 0x01, 0xFF])
        #expect(Encoding.refreshOnlyRequest(cookie: [0x61], reloadHint: true).value
                == [0x30, 0x09, 0x0A, 0x01, 0x01, 0x04, 0x01, 0x61, 0x01, 0x01, 0xFF])
    }

    @Test func requestControlWithALongCookieUsesTheLongLengthForm() throws {
        let cookie = [UInt8](repeating: 0x63, count: 300)
        let value = try #require(Encoding.refreshOnlyRequest(cookie: cookie, reloadHint: false).value)
        var outer = BER.Reader(value)
        let sequence = outer.readSequence()
        var fields = try #require(sequence)
        #expect(fields.readEnumerated() == 1)
        #expect(fields.readOctetString() == cookie)
        #expect(fields.isAtEnd && outer.isAtEnd)
    }

    @Test func stateControlCapturedFromSlapd() throws {
        let state = try #require(Encoding.parseState(SlapdCaptures.stateAdd))
        #expect(state.state == .add)
        #expect(OpenLDAP.uuidString(state.entryUUID) == SlapdCaptures.stateAddUUID)
        #expect(state.cookie == nil)
    }

    @Test(arguments: [(Int64(0), SyncReplChange.State.present), (1, .add), (2, .modify), (3, .delete)])
    func stateControlStates(raw: Int64, state: SyncReplChange.State) throws {
        let uuid = [UInt8](0..<16)
        let parsed = try #require(Encoding.parseState(stateValue(raw, uuid, cookie: Array("c".utf8))))
        #expect(parsed == Encoding.State(state: state, entryUUID: uuid, cookie: Array("c".utf8)))
    }

    @Test func malformedStateControlsAreRefused() {
        let uuid = [UInt8](0..<16)
        #expect(Encoding.parseState(stateValue(4, uuid)) == nil, "unknown state")
        #expect(Encoding.parseState(stateValue(1, Array(uuid.dropLast()))) == nil, "15-byte UUID")
        #expect(Encoding.parseState(stateValue(1, uuid) + [0x00]) == nil, "trailing bytes")
        #expect(Encoding.parseState(Array(stateValue(1, uuid).dropLast())) == nil, "truncated")
        #expect(Encoding.parseState(BER.sequence([BER.integer(1), BER.octetString(uuid)])) == nil, "INTEGER, not ENUMERATED")
    }

    @Test func doneControlsCapturedFromSlapd() throws {
        #expect(Encoding.parseDone(SlapdCaptures.donePresent)
                == Encoding.Done(cookie: Array(SlapdCaptures.donePresentCookie.utf8), refreshDeletes: false))
        #expect(Encoding.parseDone(SlapdCaptures.doneInitial)
                == Encoding.Done(cookie: Array(SlapdCaptures.doneInitialCookie.utf8), refreshDeletes: true))
        #expect(Encoding.parseDone(SlapdCaptures.doneUnchanged) == Encoding.Done(cookie: nil, refreshDeletes: true))
        #expect(Encoding.parseDone(SlapdCaptures.doneBogusCookie) == Encoding.Done(cookie: [], refreshDeletes: true))
        // Both fields left out: no cookie, refreshDeletes at its default FALSE.
        #expect(Encoding.parseDone([0x30, 0x00]) == Encoding.Done(cookie: nil, refreshDeletes: false))
        #expect(Encoding.parseDone([0x30, 0x03, 0x01, 0x01]) == nil, "truncated")
        #expect(Encoding.parseDone([0x30, 0x03, 0x01, 0x01, 0xFF, 0x04, 0x00]) == nil, "length beyond the data")
    }

    @Test func syncIDSetsCapturedFromSlapd() throws {
        let present = try #require(Encoding.parseInfo(SlapdCaptures.presentIDSet))
        #expect(present == .idSet(cookie: nil, refreshDeletes: false,
                                  uuids: SlapdCaptures.presentIDSetUUIDs.compactMap(OpenLDAP.uuidBytes)))
        let deleted = try #require(Encoding.parseInfo(SlapdCaptures.deleteIDSet))
        #expect(deleted == .idSet(cookie: Array(SlapdCaptures.deleteIDSetCookie.utf8), refreshDeletes: true,
                                  uuids: [OpenLDAP.uuidBytes(SlapdCaptures.deleteIDSetUUID)!]))
    }

    @Test func syncInfoChoices() {
        let cookie = Array("cookie".utf8)
        #expect(Encoding.parseInfo(BER.element(0x80, cookie)) == .newCookie(cookie))
        // refreshDone defaults to TRUE.
        #expect(Encoding.parseInfo(BER.element(0xA1, [])) == .refreshDelete(cookie: nil, refreshDone: true))
        #expect(Encoding.parseInfo(BER.element(0xA2, BER.octetString(cookie) + BER.boolean(false)))
                == .refreshPresent(cookie: cookie, refreshDone: false))
        #expect(Encoding.parseInfo(BER.element(0xA1, BER.boolean(false))) == .refreshDelete(cookie: nil, refreshDone: false))
        // An empty syncIdSet is legal.
        #expect(Encoding.parseInfo(BER.element(0xA3, BER.element(0x31, [])))
                == .idSet(cookie: nil, refreshDeletes: false, uuids: []))
    }

    @Test func malformedSyncInfoMessagesAreRefused() {
        let uuid = BER.octetString([UInt8](0..<16))
        #expect(Encoding.parseInfo(BER.element(0xA4, [])) == nil, "no such choice")
        #expect(Encoding.parseInfo([]) == nil, "empty")
        #expect(Encoding.parseInfo(BER.element(0xA3, [])) == nil, "syncIdSet without its SET")
        #expect(Encoding.parseInfo(BER.element(0xA3, BER.element(0x31, BER.octetString([1, 2])))) == nil, "short UUID")
        #expect(Encoding.parseInfo(BER.element(0xA3, BER.element(0x31, uuid)) + [0x00]) == nil, "trailing bytes")
        #expect(Encoding.parseInfo(Array(SlapdCaptures.presentIDSet.dropLast())) == nil, "truncated")
        #expect(Encoding.parseInfo(BER.element(0xA1, [0x01, 0x02, 0xFF, 0xFF])) == nil, "two-byte BOOLEAN")
    }

    @Test func booleansAndEnumeratedsRoundTrip() {
        for value in [true, false] {
            var reader = BER.Reader(BER.boolean(value))
            #expect(reader.readBoolean() == value)
        }
        // BER reads any non-zero byte as TRUE.
        var lenient = BER.Reader([0x01, 0x01, 0x01])
        #expect(lenient.readBoolean() == true)
        for value: Int64 in [0, 1, 3, 127, 128, -1] {
            var reader = BER.Reader(BER.enumerated(value))
            #expect(reader.readEnumerated() == value)
            #expect(reader.isAtEnd)
        }
    }

    @Test func entryUUIDText() {
        let bytes: [UInt8] = [0x39, 0x20, 0x02, 0x7E, 0x7D, 0x26, 0x10, 0x41, 0x85, 0xCC, 0x15, 0x30, 0xA7, 0xD1, 0x24, 0x3E]
        // The order slapd shows the attribute in: the bytes as they are, unlike AD's objectGUID.
        #expect(OpenLDAP.uuidString(bytes) == "3920027e-7d26-1041-85cc-1530a7d1243e")
        #expect(ActiveDirectory.guidString(bytes) == "7e022039-267d-4110-85cc-1530a7d1243e")
        #expect(OpenLDAP.uuidBytes("3920027E-7D26-1041-85CC-1530A7D1243E") == bytes)
        #expect(OpenLDAP.uuidString(Array(bytes.dropLast())) == nil)
        #expect(OpenLDAP.uuidBytes("3920027e-7d26-1041-85cc-1530a7d1243") == nil)
    }

    private func stateValue(_ state: Int64, _ uuid: [UInt8], cookie: [UInt8]? = nil) -> [UInt8] {
        BER.sequence([BER.enumerated(state), BER.octetString(uuid)] + (cookie.map { [BER.octetString($0)] } ?? []))
    }
}
