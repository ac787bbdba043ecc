import Foundation
import GRDB

/// The store's operations on one GRDB connection, inside the transaction `SQLiteStore` opened.
struct SQLiteSession: StoreWriter {
    let db: Database

    // MARK: Connector space

    private static let csColumns = "id, connector, anchor, dn, dn_key, object_type, attributes, digest, refs, mv_id, pending_import, seen_run, deprovisioned_at, former_mv_id"

    /// Statements are prepared once per connection (GRDB's cache): the sync runs them many thousand times.
    private func csObjects(where condition: String, _ arguments: StatementArguments) throws -> [CSObject] {
        let statement = try db.cachedStatement(sql: "SELECT \(Self.csColumns) FROM cs_objects WHERE \(condition)")
        return try Row.fetchAll(statement, arguments: arguments).map(csObject(from:))
    }

    private func csObject(from row: Row) throws -> CSObject {
        let id: Int64 = row["id"]
        guard let type = ObjectType(rawValue: row["object_type"]) else { throw StoreError.corrupt("cs_objects.object_type of \(id)") }
        return try CSObject(stored: id, connector: row["connector"], anchor: row["anchor"], dn: row["dn"], dnKey: row["dn_key"],
                        objectType: type, attributesJSON: row["attributes"], digest: row["digest"], referencesJSON: row["refs"],
                        mvID: row["mv_id"], pendingImport: (row["pending_import"] as String?).flatMap(PendingImport.init(rawValue:)),
                        seenRun: row["seen_run"], deprovisionedAt: row["deprovisioned_at"], formerMVID: row["former_mv_id"])
    }

    func csObject(id: Int64) throws -> CSObject? {
        try csObjects(where: "id = ?", [id]).first
    }

    func csObject(connector: String, anchor: String) throws -> CSObject? {
        try csObjects(where: "connector = ? AND anchor = ? ORDER BY id LIMIT 1", [connector, anchor]).first
    }

    func csObject(connector: String, anchor: String, objectType: ObjectType) throws -> CSObject? {
        try csObjects(where: "connector = ? AND anchor = ? AND object_type = ?", [connector, anchor, objectType.rawValue]).first
    }

    func csObject(connector: String, dnKey: String) throws -> CSObject? {
        try csObjects(where: "connector = ? AND dn_key = ? ORDER BY id LIMIT 1", [connector, dnKey]).first
    }

    func link(connector: String, dnKey: String) throws -> (mvID: Int64?, pendingImport: PendingImport?)? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT mv_id, pending_import FROM cs_objects WHERE connector = ? AND dn_key = ? ORDER BY id LIMIT 1"),
                         arguments: [connector, dnKey]).map { ($0["mv_id"], ($0["pending_import"] as String?).flatMap(PendingImport.init(rawValue:))) }
    }

    func anchor(connector: String, mvID: Int64) throws -> (anchor: String?, objectType: ObjectType)? {
        // The object joined to it now; else the one it was joined to before it was deprovisioned (a group's
        // last export still lists it, and removing it there needs its id).
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT anchor, object_type FROM cs_objects WHERE connector = ? AND mv_id = ? ORDER BY id LIMIT 1"),
                                         arguments: [connector, mvID])
                ?? Row.fetchOne(db.cachedStatement(sql: "SELECT anchor, object_type FROM cs_objects WHERE connector = ? AND former_mv_id = ? ORDER BY id LIMIT 1"),
                                arguments: [connector, mvID]) else { return nil }
        guard let type = ObjectType(rawValue: row["object_type"]) else { throw StoreError.corrupt("cs_objects.object_type of mv \(mvID)") }
        return (row["anchor"], type)
    }

    func csObject(connector: String, mvID: Int64) throws -> CSObject? {
        try csObjects(where: "connector = ? AND mv_id = ? ORDER BY id LIMIT 1", [connector, mvID]).first
    }

    func csObjects(connector: String, after: Int64, limit: Int, pendingImportOnly: Bool) throws -> [CSObject] {
        let pending = pendingImportOnly ? "AND pending_import IS NOT NULL" : ""
        return try csObjects(where: "connector = ? AND id > ? \(pending) ORDER BY id LIMIT ?", [connector, after, limit])
    }

    func csObjects(mvID: Int64) throws -> [CSObject] {
        try csObjects(where: "mv_id = ? ORDER BY id", [mvID])
    }

    func provisioned(connector: String) throws -> [Int64: ObjectType] {
        var result: [Int64: ObjectType] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT mv_id, object_type FROM cs_objects WHERE connector = ? AND mv_id IS NOT NULL AND deprovisioned_at IS NULL
            """), arguments: [connector]) {
            guard let type = ObjectType(rawValue: row["object_type"]) else { throw StoreError.corrupt("cs_objects.object_type") }
            result[row["mv_id"]] = type
        }
        return result
    }

    func deprovisioned(connector: String, before date: Date) throws -> [CSObject] {
        try csObjects(where: """
            connector = ? AND deprovisioned_at IS NOT NULL AND deprovisioned_at < ?
            AND id NOT IN (SELECT cs_id FROM pending_exports WHERE operation = 'delete') ORDER BY id
            """, [connector, date])
    }

    func valueTaken(connector: String, attribute: String, value: String, exceptMetaverseID: Int64) throws -> Bool {
        let path = Self.jsonPath(attribute)
        return try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM cs_objects c, json_each(c.attributes, ?) v
                           WHERE c.connector = ? AND c.mv_id IS NOT ? AND lower(v.value) = lower(?))
                OR EXISTS (SELECT 1 FROM pending_exports p JOIN cs_objects c ON c.id = p.cs_id, json_each(p.attributes, ?) v
                           WHERE c.connector = ? AND c.mv_id IS NOT ? AND lower(v.value) = lower(?))
            """, arguments: [path, connector, exceptMetaverseID, value, path, connector, exceptMetaverseID, value]) ?? false
    }

    /// The JSON path of an attribute's values in a stored attribute map.
    private static func jsonPath(_ attribute: String) -> String {
        "$.\"\(attribute.replacingOccurrences(of: "\"", with: ""))\""
    }

    func csCount(connector: String) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cs_objects WHERE connector = ?", arguments: [connector]) ?? 0
    }

    func references(csID: Int64) throws -> [CSReference] {
        try Row.fetchAll(db, sql: "SELECT attribute, dn_key FROM cs_references WHERE cs_id = ? ORDER BY rowid", arguments: [csID])
            .map { CSReference(attribute: $0["attribute"], dnKey: $0["dn_key"]) }
    }

    func referrers(connector: String, dnKey: String) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT r.cs_id FROM cs_references r JOIN cs_objects c ON c.id = r.cs_id
            WHERE r.dn_key = ? AND c.connector = ? ORDER BY r.cs_id
            """), arguments: [dnKey, connector])
    }

    func insert(_ object: CSObject) throws -> Int64 {
        try db.cachedStatement(sql: """
            INSERT INTO cs_objects (connector, anchor, dn, dn_key, object_type, attributes, digest, refs, mv_id, pending_import,
                seen_run, deprovisioned_at, former_mv_id, updated)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [object.connector, object.anchor, object.dn, object.dnKey, object.objectType.rawValue,
                             object.attributesJSON, object.digest, object.references.canonicalJSON(), object.mvID, object.pendingImport?.rawValue,
                             object.seenRun, object.deprovisionedAt, object.formerMVID, Date()])
        return db.lastInsertedRowID
    }

    func update(_ object: CSObject) throws {
        guard let id = object.id else { preconditionFailure("updating a connector-space object that was never inserted") }
        try db.cachedStatement(sql: """
            UPDATE cs_objects SET anchor = ?, dn = ?, dn_key = ?, object_type = ?, attributes = ?, digest = ?, refs = ?, mv_id = ?,
                pending_import = ?, seen_run = ?, deprovisioned_at = ?, former_mv_id = ?, updated = ? WHERE id = ?
            """).execute(arguments: [object.anchor, object.dn, object.dnKey, object.objectType.rawValue, object.attributesJSON,
                             object.digest, object.references.canonicalJSON(), object.mvID, object.pendingImport?.rawValue, object.seenRun, object.deprovisionedAt,
                             object.formerMVID, Date(), id])
    }

    func deleteCSObject(id: Int64) throws {
        try db.execute(sql: "DELETE FROM cs_objects WHERE id = ?", arguments: [id])
    }

    func setReferences(csID: Int64, _ references: [CSReference]) throws {
        try db.execute(sql: "DELETE FROM cs_references WHERE cs_id = ?", arguments: [csID])
        let statement = try db.cachedStatement(sql: "INSERT INTO cs_references (cs_id, attribute, dn_key) VALUES (?, ?, ?)")
        for reference in references {
            try statement.execute(arguments: [csID, reference.attribute, reference.dnKey])
        }
    }

    func markSeen(csIDs: [Int64], run: Int64) throws {
        let statement = try db.cachedStatement(sql: "UPDATE cs_objects SET seen_run = ? WHERE id = ?")
        for id in csIDs { try statement.execute(arguments: [run, id]) }
    }

    func markSeen(connector: String, anchors: [String], run: Int64) throws -> Int {
        let statement = try db.cachedStatement(sql: "UPDATE cs_objects SET seen_run = ? WHERE connector = ? AND anchor = ?")
        var known = 0
        for anchor in anchors {
            try statement.execute(arguments: [run, connector, anchor])
            known += db.changesCount
        }
        return known
    }

    func markDeleted(connector: String, anchor: String) throws -> Bool {
        try db.execute(sql: """
            UPDATE cs_objects SET pending_import = 'delete', updated = ? WHERE connector = ? AND anchor = ?
            """, arguments: [Date(), connector, anchor])
        return db.changesCount > 0
    }

    func lastFullImport(connector: String) throws -> Date? {
        try Date.fetchOne(db, sql: "SELECT last_full_import FROM connector_state WHERE connector = ?", arguments: [connector])
    }

    func setLastFullImport(connector: String, _ date: Date) throws {
        try db.execute(sql: """
            INSERT INTO connector_state (connector, last_full_import, updated) VALUES (?, ?, ?)
            ON CONFLICT(connector) DO UPDATE SET last_full_import = excluded.last_full_import, updated = excluded.updated
            """, arguments: [connector, date, Date()])
    }

    func markInterruptedRuns() throws -> Int {
        try db.execute(sql: """
            UPDATE runs SET status = 'failed', ended = COALESCE(ended, ?),
                message = 'interrupted: the process ended before the run finished'
            WHERE status = 'in-progress'
            """, arguments: [Date()])
        return db.changesCount
    }

    func syncUnfinished(connector: String) throws -> Bool {
        try Date.fetchOne(db, sql: "SELECT sync_started FROM connector_state WHERE connector = ?", arguments: [connector]) != nil
    }

    func setSyncUnfinished(connector: String, _ unfinished: Bool) throws {
        try db.execute(sql: """
            INSERT INTO connector_state (connector, sync_started, updated) VALUES (?, ?, ?)
            ON CONFLICT(connector) DO UPDATE SET sync_started = excluded.sync_started, updated = excluded.updated
            """, arguments: [connector, unfinished ? Date() : nil, Date()])
    }

    func markUnseenAsDeleted(connector: String, run: Int64) throws -> Int {
        try db.execute(sql: """
            UPDATE cs_objects SET pending_import = 'delete', updated = ?
            WHERE connector = ? AND (seen_run IS NULL OR seen_run <> ?) AND (pending_import IS NULL OR pending_import <> 'delete')
            """, arguments: [Date(), connector, run])
        return db.changesCount
    }

    // MARK: Metaverse

    func mvObject(id: Int64) throws -> MVObject? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT id, object_type, attributes, refs FROM mv_objects WHERE id = ?"), arguments: [id])
            .map(mvObject(from:))
    }

    private func mvObject(from row: Row) throws -> MVObject {
        let id: Int64 = row["id"]
        guard let type = ObjectType(rawValue: row["object_type"]) else { throw StoreError.corrupt("mv_objects.object_type of \(id)") }
        return MVObject(id: id, objectType: type, attributes: try AttributeMap.fromJSON(row["attributes"]),
                        references: try ReferenceMap.fromJSON(row["refs"]))
    }

    func mvObjects(attribute: String, value: String, limit: Int) throws -> [MVObject] {
        // Attribute values are JSON arrays: json_each walks the named attribute's values.
        try Row.fetchAll(db, sql: """
            SELECT DISTINCT m.id, m.object_type, m.attributes, m.refs FROM mv_objects m, json_each(m.attributes, ?) v
            WHERE lower(v.value) = lower(?) ORDER BY m.id LIMIT ?
            """, arguments: [Self.jsonPath(attribute), value, limit])
            .map(mvObject(from:))
    }

    func mvIDs(objectType: ObjectType) throws -> [Int64] {
        try Int64.fetchAll(db, sql: "SELECT id FROM mv_objects WHERE object_type = ? ORDER BY id", arguments: [objectType.rawValue])
    }

    func mvCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mv_objects") ?? 0
    }

    func insert(_ object: MVObject) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO mv_objects (object_type, attributes, refs, updated) VALUES (?, ?, ?, ?)").execute(
                       arguments: [object.objectType.rawValue, object.attributes.canonicalJSON(), object.references.canonicalJSON(), Date()])
        return db.lastInsertedRowID
    }

    func update(_ object: MVObject) throws {
        guard let id = object.id else { preconditionFailure("updating a metaverse object that was never inserted") }
        try db.cachedStatement(sql: "UPDATE mv_objects SET object_type = ?, attributes = ?, refs = ?, updated = ? WHERE id = ?").execute(
                       arguments: [object.objectType.rawValue, object.attributes.canonicalJSON(), object.references.canonicalJSON(),
                                   Date(), id])
    }

    func deleteMVObject(id: Int64) throws {
        try db.execute(sql: "DELETE FROM mv_objects WHERE id = ?", arguments: [id])
    }

    // MARK: Pending exports

    private func pendingExport(from row: Row) throws -> PendingExport {
        let csID: Int64 = row["cs_id"]
        guard let operation = ExportOperation(rawValue: row["operation"]) else {
            throw StoreError.corrupt("pending_exports.operation of \(csID)")
        }
        return PendingExport(csID: csID, operation: operation, attributes: try AttributeMap.fromJSON(row["attributes"]),
                             references: try ReferenceMap.fromJSON(row["refs"]), attempts: row["attempts"], lastError: row["last_error"])
    }

    func pendingExport(csID: Int64) throws -> PendingExport? {
        try Row.fetchOne(db, sql: "SELECT * FROM pending_exports WHERE cs_id = ?", arguments: [csID]).map(pendingExport(from:))
    }

    func pendingExports(connector: String, after: Int64, limit: Int) throws -> [PendingExport] {
        try Row.fetchAll(db, sql: """
            SELECT p.* FROM pending_exports p JOIN cs_objects c ON c.id = p.cs_id
            WHERE c.connector = ? AND p.cs_id > ? ORDER BY p.cs_id LIMIT ?
            """, arguments: [connector, after, limit]).map(pendingExport(from:))
    }

    func pendingExportCount(connector: String) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM pending_exports p JOIN cs_objects c ON c.id = p.cs_id WHERE c.connector = ?
            """, arguments: [connector]) ?? 0
    }

    func pendingExportCount(connector: String, operation: ExportOperation) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM pending_exports p JOIN cs_objects c ON c.id = p.cs_id WHERE c.connector = ? AND p.operation = ?
            """, arguments: [connector, operation.rawValue]) ?? 0
    }

    func setPendingExport(_ export: PendingExport) throws {
        try db.execute(sql: """
            INSERT INTO pending_exports (cs_id, operation, attributes, refs, attempts, last_error, queued) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(cs_id) DO UPDATE SET operation = excluded.operation, attributes = excluded.attributes, refs = excluded.refs,
                attempts = excluded.attempts, last_error = excluded.last_error
            """, arguments: [export.csID, export.operation.rawValue, export.attributes.canonicalJSON(),
                             export.references.canonicalJSON(), export.attempts,
                             export.lastError, Date()])
    }

    func removePendingExport(csID: Int64) throws {
        try db.execute(sql: "DELETE FROM pending_exports WHERE cs_id = ?", arguments: [csID])
    }

    // MARK: Run history

    private func run(from row: Row) throws -> RunRecord {
        let id: Int64 = row["id"]
        guard let profile = RunProfile(rawValue: row["profile"]), let status = RunStatus(rawValue: row["status"]) else {
            throw StoreError.corrupt("runs row \(id)")
        }
        var run = RunRecord(id: id, connector: row["connector"], profile: profile, started: row["started"], status: status)
        run.ended = row["ended"]
        run.adds = row["adds"]; run.updates = row["updates"]; run.deletes = row["deletes"]; run.errors = row["errors"]
        run.message = row["message"]
        return run
    }

    func runs(connector: String?, last: Int) throws -> [RunRecord] {
        let rows = if let connector {
            try Row.fetchAll(db, sql: "SELECT * FROM runs WHERE connector = ? ORDER BY id DESC LIMIT ?", arguments: [connector, last])
        } else {
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT ?", arguments: [last])
        }
        return try rows.map(run(from:)).reversed()
    }

    func runErrors(runID: Int64) throws -> [RunError] {
        try Row.fetchAll(db, sql: "SELECT * FROM run_errors WHERE run_id = ? ORDER BY id", arguments: [runID]).map {
            RunError(runID: $0["run_id"], connector: $0["connector"], object: $0["object"], attribute: $0["attribute"],
                     message: $0["message"])
        }
    }

    func insert(_ run: RunRecord) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO runs (connector, profile, started, ended, status, adds, updates, deletes, errors, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.connector, run.profile.rawValue, run.started, run.ended, run.status.rawValue,
                             run.adds, run.updates, run.deletes, run.errors, run.message])
        return db.lastInsertedRowID
    }

    func update(_ run: RunRecord) throws {
        guard let id = run.id else { preconditionFailure("updating a run that was never inserted") }
        try db.execute(sql: """
            UPDATE runs SET ended = ?, status = ?, adds = ?, updates = ?, deletes = ?, errors = ?, message = ? WHERE id = ?
            """, arguments: [run.ended, run.status.rawValue, run.adds, run.updates, run.deletes, run.errors, run.message, id])
    }

    func purgeRuns(before date: Date) throws -> Int {
        try db.execute(sql: "DELETE FROM runs WHERE started < ? AND status <> 'in-progress'", arguments: [date])
        return db.changesCount
    }

    func add(_ error: RunError) throws {
        try db.execute(sql: "INSERT INTO run_errors (run_id, connector, object, attribute, message) VALUES (?, ?, ?, ?, ?)",
                       arguments: [error.runID, error.connector, error.object, error.attribute, error.message])
    }

    // MARK: Watermarks

    func watermark(connector: String) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT watermark FROM connector_state WHERE connector = ?", arguments: [connector])
    }

    func setWatermark(connector: String, _ watermark: Data?) throws {
        try db.execute(sql: """
            INSERT INTO connector_state (connector, watermark, updated) VALUES (?, ?, ?)
            ON CONFLICT(connector) DO UPDATE SET watermark = excluded.watermark, updated = excluded.updated
            """, arguments: [connector, watermark, Date()])
    }
}
