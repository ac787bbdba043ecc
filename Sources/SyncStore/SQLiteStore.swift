import Foundation
import GRDB

/// The SQLite store (GRDB, WAL): readers never wait for the writer, so the CLI can look while the
/// service syncs.
/// (Its vault, event and client-registration parts are in SQLiteStore+Vault.swift and ClientRegistrations.swift.)
public final class SQLiteStore: IDSyncStore {
    let pool: DatabasePool
    public let path: String

    /// Opens (and creates or migrates) the database at `path`. The directory must exist.
    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory) else {
            throw StoreError.missingDirectory(directory)
        }
        // The database holds no secrets, but its contents describe the directory: not world-readable.
        let previous = umask(0o077)
        defer { umask(previous) }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Schema.migrator.migrate(pool)
    }

    /// Opens an existing database only to read it, without creating or migrating anything: for a process
    /// that watches another one's database (a test harness, a monitor) while that one may be migrating it.
    public init(readingOnly path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// A consistent copy of the whole database at `path` (which must not exist), taken while it is in use.
    public func backup(to path: String) throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
    }

    public func read<T>(_ body: (any StoreReader) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteSession(db: db)) }
    }

    public func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T {
        try pool.write { db in try body(SQLiteSession(db: db)) }
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case missingDirectory(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .missingDirectory(let directory): "database directory \(directory) does not exist"
        case .corrupt(let what): "database holds an unreadable value: \(what)"
        }
    }
}
