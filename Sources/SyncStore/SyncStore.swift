import Foundation

/// idsync's persistence: connector spaces, metaverse, pending exports, run history, watermarks.
/// One protocol, so the engine does not know which database holds them (SQLite now, PostgreSQL later).
/// Work happens in transactions: everything a `write` body does commits together or not at all.
public protocol SyncStore: Sendable {
    func read<T>(_ body: (any StoreReader) throws -> T) throws -> T
    func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T
}

public protocol StoreReader {
    func csObject(id: Int64) throws -> CSObject?
    /// A directory's object by its anchor (objectGUID, entryUUID: unique across object types), or the first
    /// of a target's objects with that id.
    func csObject(connector: String, anchor: String) throws -> CSObject?
    /// A target's object by its id and type: a SCIM service may give a user and a group the same id.
    func csObject(connector: String, anchor: String, objectType: ObjectType) throws -> CSObject?
    func csObject(connector: String, dnKey: String) throws -> CSObject?
    func csObject(connector: String, mvID: Int64) throws -> CSObject?
    /// The anchor and type of the connector's object joined to a metaverse object (or, once deprovisioned,
    /// formerly joined to it), without reading its attributes (an export resolving a group's members).
    func anchor(connector: String, mvID: Int64) throws -> (anchor: String?, objectType: ObjectType)?
    /// The metaverse link of the object with this DN, without reading its attributes (reference resolution).
    func link(connector: String, dnKey: String) throws -> (mvID: Int64?, pendingImport: PendingImport?)?
    /// Objects of a connector in id order, a batch at a time: `after` is the last id of the previous batch.
    func csObjects(connector: String, after: Int64, limit: Int, pendingImportOnly: Bool) throws -> [CSObject]
    func csObjects(mvID: Int64) throws -> [CSObject]
    func csCount(connector: String) throws -> Int
    /// Whether an object of the connector other than the one joined to `exceptMetaverseID` holds `value` in
    /// `attribute` (case-insensitive), as last exported or as a pending export will write it.
    func valueTaken(connector: String, attribute: String, value: String, exceptMetaverseID: Int64) throws -> Bool
    /// The metaverse objects a target connector holds and has not deprovisioned (its provisioned set).
    func provisioned(connector: String) throws -> [Int64: ObjectType]
    /// A target's objects disabled by `deprovision: disable` before `date`, not yet queued for deletion.
    func deprovisioned(connector: String, before date: Date) throws -> [CSObject]
    func references(csID: Int64) throws -> [CSReference]
    /// Ids of the objects of a connector whose references point at `dnKey`.
    func referrers(connector: String, dnKey: String) throws -> [Int64]

    func mvObject(id: Int64) throws -> MVObject?
    /// Metaverse objects with `attribute` holding `value` (case-insensitive).
    func mvObjects(attribute: String, value: String, limit: Int) throws -> [MVObject]
    func mvCount() throws -> Int
    /// The ids of every metaverse object of a type.
    func mvIDs(objectType: ObjectType) throws -> [Int64]

    func pendingExport(csID: Int64) throws -> PendingExport?
    /// Pending exports of a connector in cs id order, a batch at a time.
    func pendingExports(connector: String, after: Int64, limit: Int) throws -> [PendingExport]
    func pendingExportCount(connector: String) throws -> Int
    func pendingExportCount(connector: String, operation: ExportOperation) throws -> Int

    func runs(connector: String?, last: Int) throws -> [RunRecord]
    func runErrors(runID: Int64) throws -> [RunError]
    func watermark(connector: String) throws -> Data?
    /// When the connector's last full import completed.
    func lastFullImport(connector: String) throws -> Date?
    /// Whether a sync of the connector started and did not finish (it was killed, or it failed).
    func syncUnfinished(connector: String) throws -> Bool
}

public protocol StoreWriter: StoreReader {
    func insert(_ object: CSObject) throws -> Int64
    func update(_ object: CSObject) throws
    func deleteCSObject(id: Int64) throws
    func setReferences(csID: Int64, _ references: [CSReference]) throws
    /// Records that `run` saw these objects unchanged.
    func markSeen(csIDs: [Int64], run: Int64) throws
    /// Records that `run` saw the objects with these anchors (a presence listing); returns how many are known.
    func markSeen(connector: String, anchors: [String], run: Int64) throws -> Int
    /// Marks the object with this anchor as a pending delete; returns false when the connector space has no such object.
    func markDeleted(connector: String, anchor: String) throws -> Bool
    /// Records a completed full import (for the forced full cycle).
    func setLastFullImport(connector: String, _ date: Date) throws
    /// Records that a sync of the connector started (`true`) or finished (`false`). A sync clears the pending
    /// imports it has flowed batch by batch, but its outbound pass comes last: one that stopped half-way
    /// leaves objects that no pending import points at any more, so the next sync must be a full one.
    func setSyncUnfinished(connector: String, _ unfinished: Bool) throws
    /// Marks every object of `connector` not seen by `run` as a pending delete; returns how many.
    func markUnseenAsDeleted(connector: String, run: Int64) throws -> Int

    func insert(_ object: MVObject) throws -> Int64
    func update(_ object: MVObject) throws
    func deleteMVObject(id: Int64) throws

    func setPendingExport(_ export: PendingExport) throws
    func removePendingExport(csID: Int64) throws

    func insert(_ run: RunRecord) throws -> Int64
    func update(_ run: RunRecord) throws
    func add(_ error: RunError) throws
    func setWatermark(connector: String, _ watermark: Data?) throws
    /// Ends the runs still in progress as failed: their process died (only called under the cycle lock, when
    /// no run can be in progress). Returns how many.
    func markInterruptedRuns() throws -> Int
    /// Deletes the runs (and their errors) that started before `date`; returns how many.
    func purgeRuns(before date: Date) throws -> Int
}
