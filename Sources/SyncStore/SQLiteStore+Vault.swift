import Foundation
import GRDB
import Vault

extension SQLiteStore {
    public func readVault<T>(_ body: (any VaultReader) throws -> T) throws -> T {
        try pool.read { db in try body(SQLiteSession(db: db)) }
    }

    /// With `secure_delete` on for the transaction: SQLite zeroes what a replaced key set or record freed,
    /// so old key material does not stay in the file's free pages.
    public func writeVault<T>(_ body: (any VaultWriter) throws -> T) throws -> T {
        try pool.write { db in
            let previous = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
            try db.execute(sql: "PRAGMA secure_delete = ON")
            let result: T
            do {
                result = try body(SQLiteSession(db: db))
            } catch {
                try db.execute(sql: "PRAGMA secure_delete = \(previous)")
                throw error
            }
            try db.execute(sql: "PRAGMA secure_delete = \(previous)")
            return result
        }
    }

    /// A truncating checkpoint: the write-ahead log's copies of replaced pages are written back (zeroed
    /// where `secure_delete` freed them) and the log is emptied. Waits for readers up to the busy timeout.
    public func eraseResidue() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}

extension SQLiteSession: VaultWriter {
    func keySet() throws -> StoredKeySet? {
        guard let data = try Data.fetchOne(db, sql: "SELECT keyset FROM vault_keyset WHERE singleton = 1") else { return nil }
        return try StoredKeySet.decode(data)
    }

    func setKeySet(_ keySet: StoredKeySet) throws {
        try db.execute(sql: """
            INSERT INTO vault_keyset (singleton, keyset, updated) VALUES (1, ?, ?)
            ON CONFLICT(singleton) DO UPDATE SET keyset = excluded.keyset, updated = excluded.updated
            """, arguments: [keySet.encoded(), Date()])
    }

    private func record(_ row: Row) -> CredentialRecord {
        CredentialRecord(connector: row["connector"], field: row["field"], sealed: (row["sealed"] as Data?).map { Array($0) },
                         status: CredentialRecord.Status(rawValue: row["status"]) ?? .unrecoverable, updated: row["updated"])
    }

    func credentials() throws -> [CredentialRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM vault_credentials ORDER BY connector, field").map(record)
    }

    func credential(connector: String, field: String) throws -> CredentialRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM vault_credentials WHERE connector = ? AND field = ?",
                         arguments: [connector, field]).map(record)
    }

    func setCredential(_ record: CredentialRecord) throws {
        try db.execute(sql: """
            INSERT INTO vault_credentials (connector, field, sealed, status, updated) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(connector, field) DO UPDATE SET sealed = excluded.sealed, status = excluded.status, updated = excluded.updated
            """, arguments: [record.connector, record.field, record.sealed.map { Data($0) }, record.status.rawValue, record.updated])
    }

    func removeCredential(connector: String, field: String) throws {
        try db.execute(sql: "DELETE FROM vault_credentials WHERE connector = ? AND field = ?", arguments: [connector, field])
    }
}

extension SQLiteStore {
    public func append(_ event: EventRecord) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO events (event_id, level, source, message, time) VALUES (?, ?, ?, ?, ?)",
                           arguments: [event.eventID, event.level.rawValue, event.source, event.message, event.time])
        }
    }

    public func events(eventID: Int?, since: Date?, last: Int) throws -> [EventRecord] {
        try pool.read { db in
            var conditions: [String] = [], arguments: StatementArguments = []
            if let eventID { conditions.append("event_id = ?"); arguments += [eventID] }
            if let since { conditions.append("time >= ?"); arguments += [since] }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [last]
            return try Row.fetchAll(db, sql: "SELECT * FROM events \(filter) ORDER BY id DESC LIMIT ?", arguments: arguments)
                .map { row in
                    EventRecord(id: row["id"], eventID: row["event_id"],
                                level: EventRecord.Level(rawValue: row["level"]) ?? .information,
                                source: row["source"], message: row["message"], time: row["time"])
                }.reversed()
        }
    }

    public func serviceState() throws -> ServiceState? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM service_state WHERE singleton = 1").map { row in
                ServiceState(pid: row["pid"], state: ServiceState.State(rawValue: row["state"]) ?? .stopped,
                             errorCode: row["error_code"], message: row["message"], started: row["started"], updated: row["updated"])
            }
        }
    }

    public func setServiceState(_ state: ServiceState) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO service_state (singleton, pid, state, error_code, message, started, updated) VALUES (1, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(singleton) DO UPDATE SET pid = excluded.pid, state = excluded.state, error_code = excluded.error_code,
                    message = excluded.message, started = excluded.started, updated = excluded.updated
                """, arguments: [state.pid, state.state.rawValue, state.errorCode, state.message, state.started, Date()])
        }
    }
}
