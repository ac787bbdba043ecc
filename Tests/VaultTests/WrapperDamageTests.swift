import Foundation
import Testing
@testable import Vault

/// Every field of a wrapper is covered: a flipped byte in any of them is reported as damage, before any
/// scrypt work, and only a wrong password is reported as a wrong password.
@Suite("Wrappers: damage to each field told from a wrong password")
struct WrapperDamageTests {
    static let key = ServerKey.generate()
    static let intact: StoredKeySet = {
        key.stored(wrappers: [try! key.wrap(.serviceAccount, secret: "service-pw", parameters: .testing)])
    }()

    /// One alteration per field, each a single flipped bit of what is stored.
    static let damage: [(field: String, alter: @Sendable (inout StoredKeySet) -> Void)] = [
        ("salt", { $0.wrappers[0].salt[7] ^= 0x01 }),
        ("scrypt N", { $0.wrappers[0].parameters.logN ^= 0x01 }),
        ("scrypt r", { $0.wrappers[0].parameters.r ^= 0x01 }),
        ("scrypt p", { $0.wrappers[0].parameters.p ^= 0x02 }),
        ("key set id", { stored in
            var id = Array(stored.id.utf8)
            id[3] ^= 0x01
            stored.id = String(decoding: id, as: UTF8.self)
        }),
        ("nonce", { $0.wrappers[0].nonce[0] ^= 0x80 }),
        ("ciphertext", { $0.wrappers[0].wrapped[3] ^= 0x80 }),
        ("tag", { $0.wrappers[0].wrapped[$0.wrappers[0].wrapped.count - 1] ^= 0x01 }),
        ("commitment", { $0.wrappers[0].commitment[31] ^= 0x01 }),
        ("kdf name", { $0.wrappers[0].kdf = "scrypu" }),
        ("creation time", { $0.wrappers[0].created = $0.wrappers[0].created.addingTimeInterval(1) }),
        ("checksum", { $0.wrappers[0].check![0] ^= 0x01 }),
    ]

    @Test(arguments: 0..<damage.count)
    func aFlippedFieldIsDamageNotAWrongPassword(_ index: Int) throws {
        var altered = Self.intact
        Self.damage[index].alter(&altered)
        #expect(altered != Self.intact)
        do {
            _ = try ServerKey.unlock(altered, kind: .serviceAccount, secret: "service-pw")
            Issue.record("\(Self.damage[index].field): the altered wrapper opened")
        } catch VaultError.corruptWrapper(.serviceAccount) {
        } catch VaultError.malformed(let what) where Self.damage[index].field == "kdf name" {
            #expect(what.contains("unknown KDF"), "\(what)")
        } catch {
            Issue.record("\(Self.damage[index].field): \(error)")
        }
        // The same alteration with a wrong password is still damage: the checksum needs no password.
        #expect(throws: VaultError.self) { try ServerKey.unlock(altered, kind: .serviceAccount, secret: "other-pw") }
    }

    @Test func aWrongPasswordIsAWrongPassword() throws {
        #expect(throws: VaultError.wrongPassword(.serviceAccount)) {
            try ServerKey.unlock(Self.intact, kind: .serviceAccount, secret: "other-pw")
        }
        #expect(try ServerKey.unlock(Self.intact, kind: .serviceAccount, secret: "service-pw").keySetID == Self.key.keySetID)
    }

    @Test func damageSurvivesTheStoredForm() throws {
        // Through the JSON the database holds: the checksum covers what is stored, not what was in memory.
        let decoded = try StoredKeySet.decode(Self.intact.encoded())
        #expect(try ServerKey.unlock(decoded, kind: .serviceAccount, secret: "service-pw").keySetID == Self.key.keySetID)
        var salted = decoded
        salted.wrappers[0].salt[0] ^= 0x01
        #expect(throws: VaultError.corruptWrapper(.serviceAccount)) {
            try ServerKey.unlock(try StoredKeySet.decode(salted.encoded()), kind: .serviceAccount, secret: "service-pw")
        }
    }

    @Test func oneDamagedWrapperOfTwoLeavesTheOtherOpening() throws {
        var set = Self.key.stored(wrappers: [try Self.key.wrap(.serviceAccount, secret: "old", parameters: .testing),
                                             try Self.key.wrap(.serviceAccount, secret: "new", parameters: .testing)])
        set.wrappers[0].salt[0] ^= 0x01
        #expect(try ServerKey.unlock(set, kind: .serviceAccount, secret: "new").keySetID == Self.key.keySetID)
        #expect(throws: VaultError.corruptWrapper(.serviceAccount)) { try ServerKey.unlock(set, kind: .serviceAccount, secret: "old") }
    }
}
