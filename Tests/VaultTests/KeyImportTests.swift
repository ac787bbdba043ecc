import Foundation
import Testing
@testable import Vault

/// `key import` never makes a readable secret unreadable: a file of the same key set taken before a
/// rotation is refused, naming the terms it lacks, and nothing is written.
@Suite("Key import: stale files refused")
struct KeyImportTests {
    let fixture = VaultFixture()

    @Test func anExportFromBeforeARotationWithReencryptionIsRefused() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        let stale = try vault.export(key: key, passphrase: "export passphrase")
        let rotation = try vault.rotate(servicePassword: "svc", reencrypt: true)
        #expect(rotation.newTerm == 2 && rotation.droppedTerms == [1])
        let before = try vault.storedKeySet()

        #expect(throws: VaultError.staleKeyFile(missing: [2], used: [2], fileActive: 1, storeActive: 2)) {
            try vault.importKey(stale, passphrase: "export passphrase", servicePassword: "svc")
        }
        #expect(try vault.storedKeySet() == before)
        #expect(try fixture.secrets(vault) == ["ad-password", "scim-token"])
        let message = "\(VaultError.staleKeyFile(missing: [2], used: [2], fileActive: 1, storeActive: 2))"
        #expect(message.contains("lacks term 2, which stored secrets use"), "\(message)")
    }

    @Test func anExportFromBeforeARotationIsRefusedEvenWhenNoSecretUsesTheNewTerm() throws {
        let (vault, key) = try fixture.vaultWithSecrets()
        let stale = try vault.export(key: key, passphrase: "export passphrase")
        _ = try vault.rotate(servicePassword: "svc", reencrypt: false)
        // Importing it would move new secrets back to term 1 and forget term 2.
        #expect(throws: VaultError.staleKeyFile(missing: [2], used: [], fileActive: 1, storeActive: 2)) {
            try vault.importKey(stale, passphrase: "export passphrase", servicePassword: "svc")
        }
        #expect(try fixture.secrets(vault) == ["ad-password", "scim-token"])
    }

    @Test func aCurrentExportImportsAndKeepsTheRecordList() throws {
        let (vault, _) = try fixture.vaultWithSecrets()
        _ = try vault.rotate(servicePassword: "svc", reencrypt: true)
        let current = try vault.export(key: try vault.unlock(servicePassword: "svc"), passphrase: "export passphrase")
        try vault.importKey(current, passphrase: "export passphrase", servicePassword: "another svc")
        #expect(try fixture.secrets(vault, password: "another svc") == ["ad-password", "scim-token"])
        // The list still guards the records: a replaced one is still caught after the import.
        let key = try vault.unlock(servicePassword: "another svc")
        var record = try rawRecord(vault, "cloud", "token")
        record.sealed = try key.seal("attacker's token", connector: "cloud", field: "token")
        try writeRaw(vault, records: [record])
        #expect(throws: VaultError.tampered(connector: "cloud", field: "token")) {
            try vault.secret(connector: "cloud", field: "token", key: key)
        }
    }

    @Test func aForeignKeySetOverAbandonedSecretsImports() throws {
        let (vault, _) = try fixture.vaultWithSecrets()
        try vault.abandon(servicePassword: "svc")
        let other = try fixture.manager("other.sqlite")
        let (otherKey, _) = try other.unlockOrCreate(servicePassword: "x")
        try vault.importKey(try other.export(key: otherKey, passphrase: "p"), passphrase: "p", servicePassword: "svc")
        let imported = try vault.unlock(servicePassword: "svc")
        #expect(imported.keySetID == otherKey.keySetID)
        try vault.setSecret("again", connector: "cloud", field: "token", key: imported)
        #expect(try vault.secret(connector: "cloud", field: "token", key: imported) == "again")
    }

    @Test func rotationsStopAtTheTermLimit() throws {
        let vault = try fixture.manager()
        // The most terms a key set may hold, each sealing a secret so that none may be dropped.
        var key = ServerKey.generate()
        var records: [CredentialRecord] = []
        for index in 1...KeySetLimits.maxTerms {
            if index > 1 { key.rotate() }
            records.append(CredentialRecord(connector: "c\(index)", field: "password",
                                            sealed: try key.seal("s\(index)", connector: "c\(index)", field: "password"), status: .sealed))
        }
        var stored = key.stored(wrappers: [try key.wrap(.serviceAccount, secret: "svc", parameters: .testing)])
        stored.records = try key.signList(records.map { .init(connector: $0.connector, field: $0.field, digest: RecordList.digest($0.sealed!)) },
                                          generation: 1)
        try writeRaw(vault, keySet: stored, records: records)
        #expect(try vault.secret(connector: "c1", field: "password", key: try vault.unlock(servicePassword: "svc")) == "s1")
        let before = try vault.storedKeySet()

        #expect(throws: VaultError.tooManyTerms(KeySetLimits.maxTerms + 1)) { try vault.rotate(servicePassword: "svc", reencrypt: false) }
        #expect(try vault.storedKeySet() == before)
        let moved = try vault.rotate(servicePassword: "svc", reencrypt: true)
        #expect(moved.reencrypted == KeySetLimits.maxTerms && moved.droppedTerms.count == KeySetLimits.maxTerms)
        let rotated = try vault.unlock(servicePassword: "svc")
        #expect(rotated.terms.map(\.term) == [KeySetLimits.maxTerms + 1])
        #expect(try vault.secret(connector: "c\(KeySetLimits.maxTerms)", field: "password", key: rotated) == "s\(KeySetLimits.maxTerms)")
    }
}
