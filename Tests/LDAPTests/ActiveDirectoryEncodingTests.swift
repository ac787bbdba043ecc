import Foundation
import LDAP
import Testing

@Suite("Active Directory encodings (no server)")
struct ActiveDirectoryEncodingTests {
    /// {6B29FC40-CA47-1067-B31D-00DD010662DA} in the byte order of a Windows GUID structure (Python's
    /// `uuid.UUID(...).bytes_le`), the order objectGUID has on the wire.
    static let knownGUIDBytes: [UInt8] = [
        0x40, 0xFC, 0x29, 0x6B, 0x47, 0xCA, 0x67, 0x10, 0xB3, 0x1D, 0x00, 0xDD, 0x01, 0x06, 0x62, 0xDA,
    ]
    static let knownGUIDString = "6b29fc40-ca47-1067-b31d-00dd010662da"

    @Test func guidStringOfKnownVector() {
        #expect(ActiveDirectory.guidString(Self.knownGUIDBytes) == Self.knownGUIDString)
    }

    @Test func guidBytesOfKnownVectorInAnySpelling() {
        #expect(ActiveDirectory.guidBytes(Self.knownGUIDString) == Self.knownGUIDBytes)
        #expect(ActiveDirectory.guidBytes(Self.knownGUIDString.uppercased()) == Self.knownGUIDBytes)
        #expect(ActiveDirectory.guidBytes("{\(Self.knownGUIDString)}") == Self.knownGUIDBytes)
    }

    @Test func guidRoundTripsForRandomValues() {
        for _ in 0..<100 {
            let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
            let string = ActiveDirectory.guidString(bytes)
            #expect(string.flatMap(ActiveDirectory.guidBytes) == bytes)
        }
    }

    @Test(arguments: [
        "", "6b29fc40ca471067b31d00dd010662da", "6b29fc40-ca47-1067-b31d-00dd010662d", "6b29fc40-ca47-1067-b31d-00dd010662dg",
        "+b29fc40-ca47-1067-b31d-00dd010662da", "6b29fc4-0ca47-1067-b31d-00dd010662da", "6b29fc40-ca47-1067-b31d-00dd010662da-",
    ])
    func malformedGUIDStringsAreRejected(_ string: String) {
        #expect(ActiveDirectory.guidBytes(string) == nil)
    }

    @Test func guidStringNeedsSixteenBytes() {
        #expect(ActiveDirectory.guidString(Array(Self.knownGUIDBytes.dropLast())) == nil)
        #expect(ActiveDirectory.guidString(Self.knownGUIDBytes + [0]) == nil)
    }

    @Test func unicodePwdIsQuotedUTF16LittleEndian() {
        #expect(ActiveDirectory.unicodePwd("ab") == [0x22, 0x00, 0x61, 0x00, 0x62, 0x00, 0x22, 0x00])
        // é is one UTF-16 unit; 😀 (U+1F600) is the surrogate pair D83D DE00.
        #expect(ActiveDirectory.unicodePwd("é😀") == [0x22, 0x00, 0xE9, 0x00, 0x3D, 0xD8, 0x00, 0xDE, 0x22, 0x00])
        #expect(ActiveDirectory.unicodePwd("") == [0x22, 0x00, 0x22, 0x00])
    }

    @Test func dirSyncRequestEncoding() throws {
        let initial = ActiveDirectory.dirSyncControl(flags: 0, maxAttributeCount: 0, cookie: [])
        #expect(initial.oid == "1.2.840.113556.1.4.841")
        #expect(initial.critical)
        #expect(initial.value == [0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00])

        // Flags are a 32-bit signed integer: LDAP_DIRSYNC_INCREMENTAL_VALUES (0x80000000) is negative.
        let flags = ActiveDirectory.DirSyncFlags.incrementalValues | ActiveDirectory.DirSyncFlags.objectSecurity
        let incremental = ActiveDirectory.dirSyncControl(flags: flags, maxAttributeCount: 1_000, cookie: [0xAB])
        #expect(incremental.value == [0x30, 0x0D, 0x02, 0x04, 0x80, 0x00, 0x00, 0x01, 0x02, 0x02, 0x03, 0xE8, 0x04, 0x01, 0xAB])

        // A cookie of 300 bytes needs the two-byte long form of the length, and so does the sequence.
        let cookie = [UInt8](repeating: 0x5A, count: 300)
        let long = try #require(ActiveDirectory.dirSyncControl(flags: 0x800, maxAttributeCount: 0, cookie: cookie).value)
        #expect(Array(long.prefix(4)) == [0x30, 0x82, 0x01, 0x37])
        #expect(Array(long[4..<11]) == [0x02, 0x02, 0x08, 0x00, 0x02, 0x01, 0x00])
        #expect(Array(long[11..<15]) == [0x04, 0x82, 0x01, 0x2C])
        #expect(long.count == 4 + 0x137)
    }

    @Test func dirSyncResponseAsSambaSentIt() throws {
        // The response control of `ldapsearch -E '!dirSync=0/0'` against the test DC (base64 as it printed it).
        let value = try #require(Data(base64Encoded:
            "MHQCAQACAQAEbE1TRFMDAAAAAAfOntp83QEAAAAAAAAAACgAAACYDwAAAAAAAAAAAAAAAAAAmA8AAAAAAACyxu5vSGJWS7NbSFbTHvvV"
            + "AQAAAAAAAAABAAAAAAAAALLG7m9IYlZLs1tIVtMe+9WYDwAAAAAAAA=="))
        let control = LDAPControl(oid: "1.2.840.113556.1.4.841", critical: false, value: Array(value))
        let parsed = try #require(ActiveDirectory.parseDirSyncResponse(control))
        #expect(parsed.moreResults == false)
        #expect(parsed.cookie.count == 0x6C)
        #expect(Array(parsed.cookie.prefix(4)) == Array("MSDS".utf8))
    }

    @Test func dirSyncResponseRoundTrip() throws {
        let cookie: [UInt8] = (0..<200).map { UInt8($0 % 256) }
        // A response has the request's shape: SEQUENCE { moreResults, unused, cookie }.
        let encoded = ActiveDirectory.dirSyncControl(flags: 1, maxAttributeCount: 0, cookie: cookie)
        let parsed = try #require(ActiveDirectory.parseDirSyncResponse(encoded))
        #expect(parsed.moreResults)
        #expect(parsed.cookie == cookie)
    }

    @Test(arguments: [
        [],
        [0x30],
        [0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04],  // truncated
        [0x30, 0x80, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00],  // indefinite length
        [0x31, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00],  // SET, not SEQUENCE
        [0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x05],  // cookie longer than the data
        [0x30, 0x06, 0x02, 0x01, 0x00, 0x04, 0x01, 0x00],  // a field missing
        [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],  // length beyond the data
        [0x30, 0x0A, 0x02, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00],  // empty INTEGER
    ] as [[UInt8]])
    func malformedDirSyncResponsesAreRejected(_ value: [UInt8]) {
        #expect(ActiveDirectory.parseDirSyncResponse(LDAPControl(oid: "1.2.840.113556.1.4.841", value: value)) == nil)
    }

    @Test func dirSyncResponseNeedsTheDirSyncOIDAndAValue() {
        let value: [UInt8] = [0x30, 0x08, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00]
        #expect(ActiveDirectory.parseDirSyncResponse(LDAPControl(oid: "1.2.840.113556.1.4.319", value: value)) == nil)
        #expect(ActiveDirectory.parseDirSyncResponse(LDAPControl(oid: "1.2.840.113556.1.4.841", value: nil)) == nil)
    }

    @Test func showDeletedControlHasNoValue() {
        #expect(ActiveDirectory.showDeletedControl == LDAPControl(oid: "1.2.840.113556.1.4.417", critical: true, value: nil))
    }
}
