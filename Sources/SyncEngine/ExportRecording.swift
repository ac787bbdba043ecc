import Logging
import SyncStore

/// Writes what became of each sent export into the store, inside the batch's transaction: the object's
/// new anchor and exported state, its pending export cleared (or kept for the references still
/// unresolved, or with the error for the next run), and the run's counts and errors.
struct ExportRecording: Sendable {
    let logger: Logger

    enum Recorded { case done, waitingForReferences, failed }

    func record(_ item: ExportWork, _ outcome: ExportOutcome, writer: any StoreWriter, recorder: RunRecorder) throws -> Recorded {
        do {
            return try apply(item, outcome, writer: writer, recorder: recorder)
        } catch {
            // The target's answer does not fit the store (an id another object of this type has, say): that
            // object's error, not the end of the export. Its statement is undone; the batch's transaction goes
            // on. The next run finds the object in the target again by its externalId. If recording even the
            // error fails, the store itself is at fault and this throws.
            switch outcome {
            case .ok, .createdWithoutMembers: break
            default: throw error
            }
            return try apply(item, .failed("the target's answer cannot be stored: \(error)", attribute: nil),
                             writer: writer, recorder: recorder)
        }
    }

    private func apply(_ item: ExportWork, _ outcome: ExportOutcome, writer: any StoreWriter, recorder: RunRecorder) throws -> Recorded {
        var object = item.object
        switch outcome {
        case .failed(let message, let attribute):
            logger.warning("export failed", metadata: ["object": "\(object.dn)", "error": "\(message)"])
            return try failed(item.export, object, message, attribute: attribute, writer: writer, recorder: recorder)
        case .gone:
            // Deleted in the target behind idsync's back: create it again on the next pass.
            object.anchor = nil
            object.setAttributes([:])
            object.references = [:]
            try writer.update(object)
            try writer.setPendingExport(PendingExport(csID: object.id!, operation: .add, attributes: item.export.attributes,
                                                      references: item.export.references))
            return .waitingForReferences
        case .createdWithoutMembers(let id, let message):
            logger.warning("export incomplete", metadata: ["object": "\(object.dn)", "error": "\(message)"])
            object.anchor = object.anchor ?? id
            object.setAttributes(item.written)
            object.references = item.writtenReferences.filter { $0.key != "members" }
            try writer.update(object)
            recorder.added()
            var export = item.export
            export.operation = .update
            return try failed(export, object, message, attribute: "members", writer: writer, recorder: recorder)
        case .ok(let id):
            if case .delete = item.request {
                try writer.deleteCSObject(id: object.id!)
                recorder.deleted()
                return .done
            }
            if object.anchor == nil { object.anchor = id }
            object.setAttributes(item.written)
            object.references = item.writtenReferences
            try writer.update(object)
            // Counted once stored: an answer the store refused is counted as that object's error instead.
            switch item.request {
            case .create: recorder.added()
            case .patch: recorder.updated()
            default: break
            }
            if item.unresolved.isEmpty {
                try writer.removePendingExport(csID: object.id!)
                return .done
            }
            try writer.setPendingExport(PendingExport(csID: object.id!, operation: .update, attributes: item.export.attributes,
                                                      references: item.export.references))
            return .waitingForReferences
        }
    }

    /// Keeps `export` pending for the next run, one attempt more, with `message` as its error and the run's.
    private func failed(_ export: PendingExport, _ object: CSObject, _ message: String, attribute: String?,
                        writer: any StoreWriter, recorder: RunRecorder) throws -> Recorded {
        var export = export
        export.attempts += 1
        export.lastError = message
        try writer.setPendingExport(export)
        try recorder.error(writer, object: object.dn, attribute: attribute, message)
        return .failed
    }
}
