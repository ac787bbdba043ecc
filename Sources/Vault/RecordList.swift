import Crypto
import Foundation

/// The authenticated list of the credential records sealed under a key set: for each (connector, field),
/// a digest of its current sealed bytes. Kept in the key set's row and changed in the same transaction as
/// the records, it is what detects a single record put back from an earlier state: each record is valid
/// AES-GCM on its own, but its digest is no longer the one listed. Only the server key can sign a list,
/// so the list cannot be edited to match; a rollback of the key set row together with the records is the
/// limit (docs/vault.md).
public struct RecordList: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var connector: String
        public var field: String
        /// SHA-256 of the sealed record.
        public var digest: [UInt8]
    }

    /// The key term whose key signs the list (the active one when it was written).
    public var term: Int
    /// Counts the list's changes since the key set was created.
    public var generation: Int
    public var entries: [Entry]
    /// HMAC-SHA256 of the key set id, term, generation and entries.
    public var mac: [UInt8]

    public func entry(connector: String, field: String) -> Entry? {
        entries.first { $0.connector == connector && $0.field == field }
    }

    static func digest(_ sealed: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: sealed)) }

    static func message(keySetID: String, term: Int, generation: Int, entries: [Entry]) -> Data {
        lengthPrefixed(["idsync-record-list-v1", keySetID, String(term), String(generation)]
                       + entries.flatMap { [$0.connector, $0.field, hex($0.digest)] })
    }
}

extension ServerKey {
    /// A list of `entries` (sorted by connector and field), signed with the active term.
    func signList(_ entries: [RecordList.Entry], generation: Int) throws -> RecordList {
        guard let key = listKey(term: activeTerm) else { throw VaultError.unknownTerm(activeTerm) }
        let sorted = entries.sorted { ($0.connector, $0.field) < ($1.connector, $1.field) }
        let message = RecordList.message(keySetID: keySetID, term: activeTerm, generation: generation, entries: sorted)
        return RecordList(term: activeTerm, generation: generation, entries: sorted,
                          mac: Array(HMAC<SHA256>.authenticationCode(for: message, using: key)))
    }

    /// Whether this key signed `list` (constant-time comparison).
    func verifies(_ list: RecordList) -> Bool {
        guard let key = listKey(term: list.term) else { return false }
        let message = RecordList.message(keySetID: keySetID, term: list.term, generation: list.generation, entries: list.entries)
        return HMAC<SHA256>.isValidAuthenticationCode(list.mac, authenticating: message, using: key)
    }

    /// Throws unless `sealed` is the record `stored`'s list names for (connector, field). A vault written
    /// before lists existed has none: its records are accepted until the first write with the key lists them.
    func checkListed(_ sealed: [UInt8], connector: String, field: String, in stored: StoredKeySet) throws {
        guard let list = stored.records else { return }
        guard stored.id == keySetID, verifies(list) else { throw VaultError.recordListTampered }
        guard let entry = list.entry(connector: connector, field: field), entry.digest == RecordList.digest(sealed) else {
            throw VaultError.tampered(connector: connector, field: field)
        }
    }
}
