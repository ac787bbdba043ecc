import Foundation
import SyncStore
import Testing
@testable import Vault

/// Key management over the real SQLite store.
@Suite("Key management")
final class KeyManagerTests {
    let directory: String = {
        let path = NSTemporaryDirectory() + "idsync-vault-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func manager(_ name: String = "idsync.sqlite") throws -> KeyManager {
        KeyManager(storage: try SQLiteStore(path: directory + "/" + name), parameters: .testing)
    }

    func copyDatabase(_ vault: KeyManager, to name: String) throws {
        try (vault.storage as! SQLiteStore).backup(to: directory + "/" + name)
    }

    @Test func secretsRoundTripThroughTheStore() throws {
        let vault = try manager()
        let (key, created) = try vault.unlockOrCreate(servicePassword: "svc")
        #expect(created)
        try vault.setSecret("ad-pw", connector: "contoso.test", field: "password", key: key)
        let again = try vault.unlock(servicePassword: "svc")
        #expect(try vault.secret(connector: "contoso.test", field: "password", key: again) == "ad-pw")
        #expect(try vault.secret(connector: "cloud", field: "token", key: again) == nil)
        let file = try Data(contentsOf: URL(fileURLWithPath: directory + "/idsync.sqlite"))
        #expect(file.range(of: Data("ad-pw".utf8)) == nil)
    }

    @Test func abandonMakesEverySecretUnrecoverable() throws {
        let vault = try manager()
        let (key, _) = try vault.unlockOrCreate(servicePassword: "old")
        try vault.setSecret("ad-pw", connector: "contoso.test", field: "password", key: key)
        try vault.setSecret("tok", connector: "cloud", field: "token", key: key)
        let lost = try vault.abandon(servicePassword: "new")
        #expect(lost.map(\.connector) == ["cloud", "contoso.test"])
        let fresh = try vault.unlock(servicePassword: "new")
        #expect(fresh.keySetID != key.keySetID)
        #expect(throws: CredentialUnavailable.self) { try vault.secret(connector: "cloud", field: "token", key: fresh) }
        try vault.setSecret("tok2", connector: "cloud", field: "token", key: fresh)
        #expect(try vault.secret(connector: "cloud", field: "token", key: fresh) == "tok2")
    }

    @Test func exportThenImportOnACopy() throws {
        let vault = try manager()
        let (key, _) = try vault.unlockOrCreate(servicePassword: "svc-a")
        try vault.setSecret("ad-pw", connector: "contoso.test", field: "password", key: key)
        let file = try vault.export(key: key, passphrase: "correct horse")
        #expect(file.range(of: Data("ad-pw".utf8)) == nil)

        // A copy of the database on a standby whose service account has another password.
        try copyDatabase(vault, to: "copy.sqlite")
        let copy = try manager("copy.sqlite")
        #expect(throws: VaultError.wrongPassword(.serviceAccount)) { try copy.unlock(servicePassword: "svc-b") }
        #expect(throws: VaultError.wrongPassword(.export)) {
            try copy.importKey(file, passphrase: "wrong", servicePassword: "svc-b")
        }
        try copy.importKey(file, passphrase: "correct horse", servicePassword: "svc-b")
        let opened = try copy.unlock(servicePassword: "svc-b")
        #expect(try copy.secret(connector: "contoso.test", field: "password", key: opened) == "ad-pw")
    }

    @Test func importRefusesAForeignKeySetOverLiveSecrets() throws {
        let vault = try manager()
        let (key, _) = try vault.unlockOrCreate(servicePassword: "svc")
        try vault.setSecret("ad-pw", connector: "contoso.test", field: "password", key: key)
        let other = try manager("other.sqlite")
        let (otherKey, _) = try other.unlockOrCreate(servicePassword: "svc")
        let foreign = try other.export(key: otherKey, passphrase: "p")
        let before = try vault.storedKeySet()
        #expect(throws: VaultError.keySetMismatch(expected: key.keySetID, found: otherKey.keySetID)) {
            try vault.importKey(foreign, passphrase: "p", servicePassword: "svc")
        }
        #expect(try vault.storedKeySet() == before)
    }

    @Test func rotateWithAndWithoutReencryption() throws {
        let vault = try manager()
        let (key, _) = try vault.unlockOrCreate(servicePassword: "svc")
        try vault.setSecret("a", connector: "c1", field: "password", key: key)
        let first = try vault.rotate(servicePassword: "svc", reencrypt: false)
        #expect(first.newTerm == 2 && first.reencrypted == 0 && first.droppedTerms.isEmpty)
        var key2 = try vault.unlock(servicePassword: "svc")
        #expect(key2.terms.map(\.term) == [1, 2])
        try vault.setSecret("b", connector: "c2", field: "password", key: key2)
        key2 = try vault.unlock(servicePassword: "svc")
        #expect(try vault.secret(connector: "c1", field: "password", key: key2) == "a")

        let second = try vault.rotate(servicePassword: "svc", reencrypt: true)
        #expect(second.newTerm == 3 && second.reencrypted == 2 && second.droppedTerms == [1, 2])
        let key3 = try vault.unlock(servicePassword: "svc")
        #expect(key3.terms.map(\.term) == [3])
        #expect(try vault.secret(connector: "c1", field: "password", key: key3) == "a")
        #expect(try vault.secret(connector: "c2", field: "password", key: key3) == "b")
    }

    @Test func passwordChangeAndRecovery() throws {
        let vault = try manager()
        let (key, _) = try vault.unlockOrCreate(servicePassword: "one")
        try vault.setSecret("a", connector: "c", field: "password", key: key)
        try vault.addServiceWrapper(unlockingWith: "one", newPassword: "two")
        #expect(try vault.unlock(servicePassword: "one").keySetID == key.keySetID)
        #expect(try vault.unlock(servicePassword: "two").keySetID == key.keySetID)
        try vault.rewrap(key: try vault.unlock(servicePassword: "two"), servicePassword: "two")
        #expect(throws: VaultError.wrongPassword(.serviceAccount)) { try vault.unlock(servicePassword: "one") }

        // A reset elsewhere: the key is still wrapped under "two", the account now has "three".
        try vault.recover(previousPassword: "two", currentPassword: "three")
        let recovered = try vault.unlock(servicePassword: "three")
        #expect(try vault.secret(connector: "c", field: "password", key: recovered) == "a")
        #expect(throws: VaultError.wrongPassword(.serviceAccount)) { try vault.recover(previousPassword: "nope", currentPassword: "four") }
    }
}
