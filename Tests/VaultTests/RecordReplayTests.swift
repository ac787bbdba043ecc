import Foundation
import Testing
@testable import Vault

/// A record put back from an earlier state of the same connector and field is valid AES-GCM, but not the
/// record the key set's signed list names: detected as tampered.
@Suite("Record list: replayed records")
struct RecordReplayTests {
    let fixture = VaultFixture()

    @Test func anOlderRecordOfTheSameConnectorAndFieldIsDetected() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        let old = try rawRecord(vault, "cloud", "token")
        try vault.setSecret("rotated-token", connector: "cloud", field: "token", key: key)
        #expect(try vault.secret(connector: "cloud", field: "token", key: key) == "rotated-token")

        try writeRaw(vault, records: [old])
        #expect(throws: VaultError.tampered(connector: "cloud", field: "token")) {
            try vault.secret(connector: "cloud", field: "token", key: key)
        }
        let status = try vault.credentialStatus(key: key)
        #expect(status.map(\.readable) == [false, true])
        #expect(status[0].problem?.contains("replaced by an older copy") == true, "\(status[0].problem ?? "")")
        // A rotation with re-encryption does not launder it into a current record.
        let before = try vault.storedKeySet()
        #expect(throws: VaultError.tampered(connector: "cloud", field: "token")) {
            try vault.rotate(servicePassword: "svc", reencrypt: true)
        }
        #expect(try vault.storedKeySet() == before)
        // Neither does another secret's write: the replaced one stays detected.
        try vault.setSecret("ad-password-2", connector: "contoso.test", field: "password", key: key)
        #expect(throws: VaultError.tampered(connector: "cloud", field: "token")) {
            try vault.secret(connector: "cloud", field: "token", key: key)
        }
        // Entering it again is the fix.
        try vault.setSecret("rotated-token", connector: "cloud", field: "token", key: key)
        #expect(try fixture.secrets(vault) == ["ad-password-2", "rotated-token"])
    }

    @Test func anEditedListIsDetected() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        let old = try rawRecord(vault, "cloud", "token")
        try vault.setSecret("rotated-token", connector: "cloud", field: "token", key: key)
        // The attacker puts the old record back and edits the list's digest to match it.
        var stored = try #require(try vault.storedKeySet())
        var list = try #require(stored.records)
        let index = try #require(list.entries.firstIndex { $0.connector == "cloud" })
        list.entries[index].digest = RecordList.digest(old.sealed!)
        stored.records = list
        try writeRaw(vault, keySet: stored, records: [old])
        #expect(throws: VaultError.recordListTampered) { try vault.secret(connector: "cloud", field: "token", key: key) }
        #expect(throws: VaultError.recordListTampered) { try vault.setSecret("x", connector: "cloud", field: "token", key: key) }
    }

    @Test func aRecordInsertedFromAnotherDatabaseOfTheSameKeyIsDetected() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        var foreign = CredentialRecord(connector: "extra", field: "password",
                                       sealed: try key.seal("planted", connector: "extra", field: "password"), status: .sealed)
        foreign.updated = Date()
        try writeRaw(vault, records: [foreign])
        #expect(throws: VaultError.tampered(connector: "extra", field: "password")) {
            try vault.secret(connector: "extra", field: "password", key: key)
        }
    }

    @Test func aVaultFromBeforeTheListOpensAndIsListedOnItsFirstUnlock() throws {
        let vault = try fixture.manager()
        let key = ServerKey.generate()
        // The earlier format: no record list, wrappers without a checksum.
        var wrapper = try key.wrap(.serviceAccount, secret: "svc", parameters: .testing)
        wrapper.check = nil
        let legacy = key.stored(wrappers: [wrapper])
        let sealed = try key.seal("legacy-token", connector: "cloud", field: "token")
        try writeRaw(vault, keySet: legacy, records: [CredentialRecord(connector: "cloud", field: "token", sealed: sealed, status: .sealed)])
        #expect(try vault.secret(connector: "cloud", field: "token", key: key) == "legacy-token")

        let unlocked = try vault.unlock(servicePassword: "svc")
        let migrated = try #require(try vault.storedKeySet())
        #expect(migrated.records?.entries.map(\.connector) == ["cloud"])
        #expect(migrated.wrappers.allSatisfy { $0.check?.count == 32 })
        #expect(try vault.secret(connector: "cloud", field: "token", key: unlocked) == "legacy-token")

        // From now on a replay is caught.
        let old = try rawRecord(vault, "cloud", "token")
        try vault.setSecret("new-token", connector: "cloud", field: "token", key: unlocked)
        try writeRaw(vault, records: [old])
        #expect(throws: VaultError.tampered(connector: "cloud", field: "token")) {
            try vault.secret(connector: "cloud", field: "token", key: unlocked)
        }
    }

    @Test func aRemovedSecretReadsAsNoneAndLeavesTheList() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        try vault.removeSecret(connector: "cloud", field: "token")
        #expect(try vault.secret(connector: "cloud", field: "token", key: key) == nil)
        try vault.setSecret("ad-2", connector: "contoso.test", field: "password", key: key)
        #expect(try vault.storedKeySet()?.records?.entries.map(\.connector) == ["contoso.test"])
    }
}
