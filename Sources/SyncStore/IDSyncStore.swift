import Foundation
import Vault

/// Everything idsync keeps, as one store: the connector spaces, metaverse, pending exports and run history
/// (``SyncStore``), the server encryption key and sealed secrets (`VaultStorage`), the event log and service
/// state (``EventStore``) and the OAuth client registrations (``ClientRegistrationStore``). The service, the
/// CLI and the benchmark see only these protocols; which database holds them is this module's business.
public protocol IDSyncStore: SyncStore, VaultStorage, EventStore, ClientRegistrationStore {
    /// Where the data lives, for messages (the database file).
    var path: String { get }
    /// A consistent copy of the whole store at `path` (which must not exist), taken while it is in use.
    func backup(to path: String) throws
}

/// The OAuth 2.0 client each SCIM connector registered for itself (`idsync cloud-account reinit`).
public protocol ClientRegistrationStore: Sendable {
    func clientRegistration(connector: String) throws -> ClientRegistrationRecord?
    func setClientRegistration(_ record: ClientRegistrationRecord) throws
}

/// Opens idsync's store.
public enum Stores {
    /// The store at `path`, created or migrated as needed. The directory must exist.
    public static func open(path: String) throws -> any IDSyncStore {
        try SQLiteStore(path: path)
    }

    /// An existing store, only to read it, without creating or migrating anything: for a process that watches
    /// another one's store (a test harness, a monitor) while that one may be migrating it.
    public static func openReadingOnly(path: String) throws -> any IDSyncStore {
        try SQLiteStore(readingOnly: path)
    }
}
