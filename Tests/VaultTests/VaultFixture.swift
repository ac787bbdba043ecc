import Foundation
import Testing
import SyncStore
@testable import Vault

/// A temporary directory with vaults over real SQLite stores, removed when the test ends.
final class VaultFixture {
    let directory: String = {
        let path = NSTemporaryDirectory() + "idsync-vault-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    func manager(_ name: String = "idsync.sqlite") throws -> KeyManager {
        KeyManager(storage: try SQLiteStore(path: path(name)), parameters: .testing)
    }

    /// A vault with two connector secrets stored, and its key.
    func vaultWithSecrets(_ name: String = "idsync.sqlite", password: String = "svc") throws -> (KeyManager, ServerKey) {
        let vault = try manager(name)
        let (key, _) = try vault.unlockOrCreate(servicePassword: password)
        try vault.setSecret("ad-password", connector: "contoso.test", field: "password", key: key)
        try vault.setSecret("scim-token", connector: "cloud", field: "token", key: key)
        return (vault, key)
    }

    /// Both secrets, read with a fresh unlock.
    func secrets(_ vault: KeyManager, password: String = "svc") throws -> [String?] {
        let key = try vault.unlock(servicePassword: password)
        return [try vault.secret(connector: "contoso.test", field: "password", key: key),
                try vault.secret(connector: "cloud", field: "token", key: key)]
    }

    /// Every byte SQLite keeps for database `name`: the file and its write-ahead log.
    func storedBytes(_ name: String = "idsync.sqlite") throws -> [Data] {
        try [name, name + "-wal"].compactMap { file in
            FileManager.default.fileExists(atPath: path(file)) ? try Data(contentsOf: URL(fileURLWithPath: path(file))) : nil
        }
    }
}

/// Writes the key set and records as an attacker with the database file would: below the vault's checks.
func writeRaw(_ vault: KeyManager, keySet: StoredKeySet? = nil, records: [CredentialRecord] = []) throws {
    try vault.storage.writeVault { writer in
        if let keySet { try writer.setKeySet(keySet) }
        for record in records { try writer.setCredential(record) }
    }
}

func rawRecord(_ vault: KeyManager, _ connector: String, _ field: String) throws -> CredentialRecord {
    try #require(try vault.storage.readVault { try $0.credential(connector: connector, field: field) })
}
