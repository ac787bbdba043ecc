import Foundation
import Testing
@testable import Vault

@Suite("Server key: wrapping and credential records")
struct ServerKeyTests {
    let key = ServerKey.generate()

    func stored(_ password: String = "service-pw") throws -> StoredKeySet {
        key.stored(wrappers: [try key.wrap(.serviceAccount, secret: password, parameters: .testing)])
    }

    @Test func sealOpenRoundTrip() throws {
        let record = try key.seal("s3cret-Ä", connector: "contoso.test", field: "password")
        #expect(try key.open(record, connector: "contoso.test", field: "password") == "s3cret-Ä")
        #expect(try CredentialRecordFormat.term(of: record) == 1)
        #expect(Data(record).range(of: Data("s3cret".utf8)) == nil)
        // A fresh nonce each time.
        #expect(try key.seal("s3cret-Ä", connector: "contoso.test", field: "password") != record)
    }

    @Test func tamperingIsDetected() throws {
        let record = try key.seal("s3cret", connector: "contoso.test", field: "password")
        var flipped = record
        flipped[flipped.count - 20] ^= 0x01
        #expect(throws: VaultError.tampered(connector: "contoso.test", field: "password")) {
            try key.open(flipped, connector: "contoso.test", field: "password")
        }
        // Swapped: a valid record moved to another connector or field.
        #expect(throws: VaultError.tampered(connector: "cloud", field: "password")) {
            try key.open(record, connector: "cloud", field: "password")
        }
        #expect(throws: VaultError.tampered(connector: "contoso.test", field: "token")) {
            try key.open(record, connector: "contoso.test", field: "token")
        }
        // From another key set.
        #expect(throws: VaultError.tampered(connector: "contoso.test", field: "password")) {
            try ServerKey.generate().open(record, connector: "contoso.test", field: "password")
        }
    }

    @Test func unlockTellsWrongPasswordFromCorruptData() throws {
        let set = try stored()
        let unlocked = try ServerKey.unlock(set, kind: .serviceAccount, secret: "service-pw")
        let record = try key.seal("x", connector: "c", field: "password")
        #expect(try unlocked.open(record, connector: "c", field: "password") == "x")

        #expect(throws: VaultError.wrongPassword(.serviceAccount)) {
            try ServerKey.unlock(set, kind: .serviceAccount, secret: "other-pw")
        }
        var corrupt = set
        corrupt.wrappers[0].wrapped[3] ^= 0x80
        #expect(throws: VaultError.corruptWrapper(.serviceAccount)) {
            try ServerKey.unlock(corrupt, kind: .serviceAccount, secret: "service-pw")
        }
        #expect(throws: VaultError.noWrapper(.export)) { try ServerKey.unlock(set, kind: .export, secret: "service-pw") }
        var hostile = set
        hostile.wrappers[0].parameters.logN = 40
        #expect(throws: VaultError.self) { try ServerKey.unlock(hostile, kind: .serviceAccount, secret: "service-pw") }
    }

    @Test func eitherOfTwoWrappersOpens() throws {
        let set = key.stored(wrappers: [try key.wrap(.serviceAccount, secret: "old", parameters: .testing),
                                        try key.wrap(.serviceAccount, secret: "new", parameters: .testing)])
        #expect(try ServerKey.unlock(set, kind: .serviceAccount, secret: "old").keySetID == key.keySetID)
        #expect(try ServerKey.unlock(set, kind: .serviceAccount, secret: "new").keySetID == key.keySetID)
    }

    @Test func rotationKeepsOldTermsReadable() throws {
        var rotated = key
        let old = try rotated.seal("old", connector: "c", field: "password")
        #expect(rotated.rotate() == 2)
        let new = try rotated.seal("new", connector: "c", field: "password")
        #expect(try CredentialRecordFormat.term(of: new) == 2)
        #expect(try rotated.open(old, connector: "c", field: "password") == "old")
        // Survives wrapping and unwrapping.
        let set = rotated.stored(wrappers: [try rotated.wrap(.serviceAccount, secret: "pw", parameters: .testing)])
        let reopened = try ServerKey.unlock(set, kind: .serviceAccount, secret: "pw")
        #expect(reopened.activeTerm == 2)
        #expect(try reopened.open(old, connector: "c", field: "password") == "old")
        #expect(rotated.dropTerms(notIn: [2]) == [1])
        #expect(throws: VaultError.unknownTerm(1)) { try rotated.open(old, connector: "c", field: "password") }
    }

    @Test func standardCostIsWithinBounds() throws {
        // At or above OWASP's scrypt cost; the benchmark prints the time it takes.
        #expect(ScryptParameters.standard.logN >= 17)
        #expect(ScryptParameters.standard.r == 8)
    }
}
