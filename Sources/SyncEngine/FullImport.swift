import Foundation
import Logging
import SyncStore

/// The full import run profile: reads every object in scope into the connector space. Objects whose
/// attributes changed get a pending import; objects not seen at all become pending deletes — only after
/// the whole import succeeded, so a broken connection never looks like a mass delete. The delta
/// watermark is taken before reading and stored at the end, so what changes meanwhile is read again.
struct FullImport {
    let store: any SyncStore
    let logger: Logger
    var batchSize = 500

    func run(_ connector: any SourceConnector, note: String? = nil) async -> RunRecord {
        await RunRecorder.record(store: store, connector: connector.name, profile: .fullImport) { recorder in
            if let note { recorder.note(note) }
            let watermark = try await connector.currentWatermark()
            var batch: [ImportItem] = []
            var seen = 0
            for try await item in connector.fullImport() {
                batch.append(item)
                if batch.count == batchSize {
                    try apply(batch, connector: connector, recorder: recorder)
                    seen += batch.count
                    batch.removeAll(keepingCapacity: true)
                    if seen % 5000 == 0 {
                        logger.info("importing", metadata: ["connector": "\(connector.name)", "objects": "\(seen)"])
                    }
                }
            }
            try apply(batch, connector: connector, recorder: recorder)
            try store.write { writer in
                recorder.deleted(try writer.markUnseenAsDeleted(connector: connector.name, run: recorder.id))
                try writer.setWatermark(connector: connector.name, watermark)
                try writer.setLastFullImport(connector: connector.name, Date())
            }
        }
    }

    /// Stores one batch in one transaction.
    private func apply(_ batch: [ImportItem], connector: any SourceConnector, recorder: RunRecorder) throws {
        guard !batch.isEmpty else { return }
        try store.write { writer in
            var staging = Staging(connector, run: recorder.id, writer: writer, recorder: recorder)
            for item in batch { try staging.stage(item) }
            try staging.finish()
        }
    }
}

/// The delta import run profile: only what changed since the stored watermark, each page stored with the
/// watermark that covers it. Without a watermark, or when the source rejects it, it runs a full import.
struct DeltaImport {
    let store: any SyncStore
    let logger: Logger

    func run(_ connector: any SourceConnector) async -> RunRecord {
        guard let watermark = try? store.read({ try $0.watermark(connector: connector.name) }) else {
            return await FullImport(store: store, logger: logger).run(connector, note: "no delta watermark yet: full import")
        }
        var rejected: WatermarkRejected?
        let record = await RunRecorder.record(store: store, connector: connector.name, profile: .deltaImport) { recorder in
            do {
                for try await page in connector.deltaImport(from: watermark) {
                    try apply(page, connector: connector, recorder: recorder)
                }
            } catch let error as WatermarkRejected {
                rejected = error
                throw error
            }
        }
        guard let rejected else { return record }
        logger.warning("delta import not possible; running a full import", metadata: ["connector": "\(connector.name)",
                                                                                     "reason": "\(rejected)"])
        return await FullImport(store: store, logger: logger).run(connector, note: "\(rejected): full import instead")
    }

    private func apply(_ page: DeltaPage, connector source: any SourceConnector, recorder: RunRecorder) throws {
        let connector = source.name
        try store.write { writer in
            var staging = Staging(source, run: recorder.id, writer: writer, recorder: recorder)
            var present: [String] = []
            for change in page.changes {
                switch change {
                case .upsert(let item): try staging.stage(item)
                case .delete(let anchor): try staging.delete(anchor: anchor)
                case .present(let anchor): present.append(anchor)
                }
            }
            try staging.finish()
            _ = try writer.markSeen(connector: connector, anchors: present, run: recorder.id)
            if page.presenceComplete {
                recorder.deleted(try writer.markUnseenAsDeleted(connector: connector, run: recorder.id))
            }
            if let watermark = page.watermark { try writer.setWatermark(connector: connector, watermark) }
        }
    }
}
