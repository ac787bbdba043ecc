import Logging
import SyncStore

/// The full import run profile: reads every object in scope into the connector space. Objects whose
/// attributes changed get a pending import; objects not seen at all become pending deletes — only after
/// the whole import succeeded, so a broken connection never looks like a mass delete.
struct FullImport {
    let store: any SyncStore
    let logger: Logger
    var batchSize = 500

    func run(_ connector: any SourceConnector) async -> RunRecord {
        await RunRecorder.record(store: store, connector: connector.name, profile: .fullImport) { recorder in
            var batch: [ImportItem] = []
            var seen = 0
            for try await item in connector.fullImport() {
                batch.append(item)
                if batch.count == batchSize {
                    try apply(batch, connector: connector.name, recorder: recorder)
                    seen += batch.count
                    batch.removeAll(keepingCapacity: true)
                    if seen % 5000 == 0 {
                        logger.info("importing", metadata: ["connector": "\(connector.name)", "objects": "\(seen)"])
                    }
                }
            }
            try apply(batch, connector: connector.name, recorder: recorder)
            let gone = try store.write { try $0.markUnseenAsDeleted(connector: connector.name, run: recorder.id) }
            recorder.deleted(gone)
        }
    }

    /// Stores one batch in one transaction.
    private func apply(_ batch: [ImportItem], connector: String, recorder: RunRecorder) throws {
        guard !batch.isEmpty else { return }
        try store.write { writer in
            var unchanged: [Int64] = []
            for item in batch {
                switch item {
                case .object(let imported):
                    if let id = try stage(imported, connector: connector, run: recorder.id, writer: writer, recorder: recorder) {
                        unchanged.append(id)
                    }
                case .rejected(let dn, let anchor, let error):
                    try recorder.error(writer, object: dn, attribute: error.attribute, error.message)
                    // Still there, only unreadable: keep the object as it was rather than delete it.
                    if let anchor, let existing = try writer.csObject(connector: connector, anchor: anchor), let id = existing.id {
                        unchanged.append(id)
                    }
                }
            }
            try writer.markSeen(csIDs: unchanged, run: recorder.id)
        }
    }

    /// Stages one imported object; returns its id when nothing about it changed (only its sighting is recorded).
    private func stage(_ imported: ImportedObject, connector: String, run: Int64, writer: any StoreWriter,
                       recorder: RunRecorder) throws -> Int64? {
        guard var existing = try writer.csObject(connector: connector, anchor: imported.anchor) else {
            let object = CSObject(connector: connector, anchor: imported.anchor, dn: imported.dn, dnKey: imported.dnKey,
                                  objectType: imported.objectType, attributes: imported.attributes,
                                  pendingImport: .add, seenRun: run)
            let id = try writer.insert(object)
            try writer.setReferences(csID: id, imported.references)
            recorder.added()
            return nil
        }
        if existing.digest == imported.attributes.digest(), existing.dn == imported.dn,
           existing.objectType == imported.objectType, existing.pendingImport != .delete {
            return existing.id
        }
        existing.dn = imported.dn
        existing.dnKey = imported.dnKey
        existing.objectType = imported.objectType
        existing.setAttributes(imported.attributes)
        // An add the sync has not processed yet stays an add.
        existing.pendingImport = existing.pendingImport == .add ? .add : .update
        existing.seenRun = run
        try writer.update(existing)
        try writer.setReferences(csID: existing.id!, imported.references)
        recorder.updated()
        return nil
    }
}
