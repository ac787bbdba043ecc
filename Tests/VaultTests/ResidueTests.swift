import Foundation
import Testing
@testable import Vault

/// After `key abandon` and `key rotate --reencrypt`, the replaced key material — the old wrapper and the
/// old sealed records — is nowhere in the database's files: SQLite zeroed what it freed (secure_delete)
/// and the write-ahead log was checkpointed and emptied.
@Suite("Vault: no old key material left in the database files")
struct ResidueTests {
    let fixture = VaultFixture()

    /// Byte strings of the vault's current key material as SQLite stores it: the wrapper's salt, commitment
    /// and runs of its ciphertext in the key set's JSON, and each sealed record. Several short ones, so
    /// one split across two pages cannot hide the rest.
    func needles(_ vault: KeyManager) throws -> [Data] {
        let stored = try #require(try vault.storedKeySet())
        let wrapper = stored.wrappers[0]
        func json(_ name: String, _ bytes: ArraySlice<UInt8>) -> Data {
            Data("\"\(name)\":[\(bytes.map(String.init).joined(separator: ","))".utf8)
        }
        var found = [json("salt", wrapper.salt[...]), json("commitment", wrapper.commitment[...])]
        found += stride(from: 0, to: wrapper.wrapped.count - 12, by: 12).map { offset in
            Data(wrapper.wrapped[offset..<offset + 12].map(String.init).joined(separator: ",").utf8)
        }
        found += try vault.storage.readVault { try $0.credentials() }.compactMap(\.sealed).map { Data($0) }
        return found
    }

    func present(_ needles: [Data]) throws -> [Data] {
        let files = try fixture.storedBytes()
        return needles.filter { needle in files.contains { $0.range(of: needle) != nil } }
    }

    @Test func rotateWithReencryptionLeavesNoOldWrapperOrRecord() throws {
        let (vault, _) = try fixture.vaultWithSecrets()
        let old = try needles(vault)
        #expect(try present(old).count >= old.count / 2, "the old key material should be found before the rotation")
        _ = try vault.rotate(servicePassword: "svc", reencrypt: true)
        #expect(try present(old).isEmpty, "old key material left in the database after key rotate --reencrypt")
        #expect(try fixture.secrets(vault) == ["ad-password", "scim-token"])
        #expect(try present(try needles(vault)).count > 0, "the search finds the current key material")
    }

    @Test func abandonLeavesNoOldWrapperOrRecord() throws {
        let (vault, _) = try fixture.vaultWithSecrets()
        let old = try needles(vault)
        #expect(try present(old).count >= old.count / 2)
        try vault.abandon(servicePassword: "svc")
        #expect(try present(old).isEmpty, "old key material left in the database after key abandon")
    }
}
