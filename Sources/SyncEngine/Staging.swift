import SyncStore

/// How imports put what they read into a connector space, the same for full and delta imports: a new
/// object is a pending add, a changed one a pending update, an unchanged one only records its sighting.
struct Staging {
    let connector: String
    let followsRenames: Bool
    let run: Int64
    let writer: any StoreWriter
    let recorder: RunRecorder
    /// Objects seen unchanged, recorded in one statement batch at the end.
    private(set) var unchanged: [Int64] = []
    /// Renamed or moved objects: old DN key → new DN and its key. Applied to the objects referring to them
    /// at the end.
    private var renamed: [String: (dn: String, dnKey: String)] = [:]

    init(_ source: any SourceConnector, run: Int64, writer: any StoreWriter, recorder: RunRecorder) {
        self.connector = source.name; self.followsRenames = source.referencesFollowRenames
        self.run = run; self.writer = writer; self.recorder = recorder
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
        try followRenames()
    }

    /// AD keeps DN-valued attributes pointing at an object across its renames and moves without changing the
    /// objects that hold them (a group's uSNChanged stays put when a member is renamed), so no delta brings the
    /// group again (`SourceConnector.referencesFollowRenames`). Its connector-space copy is corrected here, or
    /// the stale DN would resolve to nothing the next time the group flows and the member would silently leave
    /// it. Once per page, so a group referring to many objects of a moved OU is rewritten once, not per object.
    private func followRenames() throws {
        guard !renamed.isEmpty else { return }
        var referrers = Set<Int64>()
        for oldKey in renamed.keys { referrers.formUnion(try writer.referrers(connector: connector, dnKey: oldKey)) }
        for id in referrers.sorted() {
            guard var referrer = try writer.csObject(id: id) else { continue }
            let references = try writer.references(csID: id)
            var attributes = referrer.attributes
            for name in Set(references.filter { renamed[$0.dnKey] != nil }.map(\.attribute)) {
                attributes[name] = attributes[name]?.map { renamed[ConnectorSpace.dnKey($0, role: .source)]?.dn ?? $0 }
            }
            referrer.setAttributes(attributes)
            try writer.update(referrer)
            try writer.setReferences(csID: id, references.map { reference in
                renamed[reference.dnKey].map { CSReference(attribute: reference.attribute, dnKey: $0.dnKey) } ?? reference
            })
        }
    }

    /// Returns the object's id when nothing about it changed.
    private mutating func stage(_ imported: ImportedObject) throws -> Int64? {
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
        if followsRenames && existing.dnKey != imported.dnKey { renamed[existing.dnKey] = (imported.dn, imported.dnKey) }
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
