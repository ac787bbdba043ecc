import SyncStore

/// How imports put what they read into a connector space, the same for full and delta imports: a new
/// object is a pending add, a changed one a pending update, an unchanged one only records its sighting.
struct Staging {
    let connector: String
    let run: Int64
    let writer: any StoreWriter
    let recorder: RunRecorder
    /// Objects seen unchanged, recorded in one statement batch at the end.
    private(set) var unchanged: [Int64] = []

    init(connector: String, run: Int64, writer: any StoreWriter, recorder: RunRecorder) {
        self.connector = connector; self.run = run; self.writer = writer; self.recorder = recorder
    }

    mutating func stage(_ item: ImportItem) throws {
        switch item {
        case .object(let imported):
            if let id = try stage(imported) { unchanged.append(id) }
        case .rejected(let dn, let anchor, let error):
            try recorder.error(writer, object: dn, attribute: error.attribute, error.message)
            // Still there, only unreadable: keep the object as it was rather than delete it.
            if let anchor, let existing = try writer.csObject(connector: connector, anchor: anchor), let id = existing.id {
                unchanged.append(id)
            }
        }
    }

    /// Deleted or out of scope in the source.
    func delete(anchor: String) throws {
        if try writer.markDeleted(connector: connector, anchor: anchor) { recorder.deleted() }
    }

    func finish() throws {
        try writer.markSeen(csIDs: unchanged, run: run)
    }

    /// Returns the object's id when nothing about it changed.
    private func stage(_ imported: ImportedObject) throws -> Int64? {
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
