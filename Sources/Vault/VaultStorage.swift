import Foundation

/// A connector secret as stored: sealed under the server key, or marked unrecoverable after the key that
/// sealed it was abandoned (the connector's secret must then be entered again).
public struct CredentialRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case sealed, unrecoverable }
    public var connector: String
    /// Which secret of the connector: "password", "token", "client_secret", ...
    public var field: String
    public var sealed: [UInt8]?
    public var status: Status
    public var updated: Date

    public init(connector: String, field: String, sealed: [UInt8]?, status: Status, updated: Date = Date()) {
        self.connector = connector; self.field = field; self.sealed = sealed; self.status = status; self.updated = updated
    }
}

/// Where the vault keeps the key set and the credential records. A `writeVault` body commits atomically,
/// so a key set and the records sealed under it never disagree after a crash.
public protocol VaultStorage: Sendable {
    func readVault<T>(_ body: (any VaultReader) throws -> T) throws -> T
    /// Overwritten or deleted vault data must not stay readable in the storage's free space.
    func writeVault<T>(_ body: (any VaultWriter) throws -> T) throws -> T
    /// Erases copies of replaced vault data the storage keeps outside its live data (a write-ahead log):
    /// called after an abandon, import or rotation, once their transaction has committed.
    func eraseResidue() throws
}

public protocol VaultReader {
    func keySet() throws -> StoredKeySet?
    func credentials() throws -> [CredentialRecord]
    func credential(connector: String, field: String) throws -> CredentialRecord?
}

public protocol VaultWriter: VaultReader {
    func setKeySet(_ keySet: StoredKeySet) throws
    func setCredential(_ record: CredentialRecord) throws
    func removeCredential(connector: String, field: String) throws
}
