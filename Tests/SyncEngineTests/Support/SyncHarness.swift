import Foundation
import IDSyncTesting
import Logging
import SyncStore
@testable import SyncEngine

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

/// A real `SQLiteStore` in a temporary directory and a `SyncCycle` over fake sources, with targets that are
/// never opened (syncs do not need them). Exports are simulated by `completeExports`.
final class SyncHarness {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let sources: [FakeSource]
    let cycle: SyncCycle
    let targets: [String]

    init(sources: [FakeSource] = [FakeSource()], rules: RuleSet, targets: [TargetPolicy] = [TargetPolicy(name: "a"), TargetPolicy(name: "b")]) throws {
        directory = try TemporaryDirectory(prefix: "sync-tests")
        store = try SQLiteStore(path: directory.file("idsync.sqlite"))
        self.sources = sources
        self.targets = targets.map(\.name)
        cycle = SyncCycle(store: store, rules: rules, targets: targets, logger: Logger(label: "sync-tests"))
    }

    deinit { directory.remove() }

    var source: FakeSource { sources[0] }
    private var connectors: ConnectorSet { ConnectorSet(sources: sources, targets: [], unavailable: []) }

    /// A full import of every source, each followed by its sync (full or delta); every run must succeed.
    func run(delta: Bool = false) async throws {
        for source in sources {
            try check(await cycle.run(.fullImport, on: source.name, connectors))
            try check(await cycle.run(delta ? .deltaSync : .fullSync, on: source.name, connectors))
        }
    }

    private func check(_ record: RunRecord) throws {
        guard record.status == .success else {
            throw HarnessError(description: "\(record.profile.rawValue) on \(record.connector): \(record.status.rawValue) \(record.message ?? "")")
        }
    }

    // MARK: Reading the store

    /// The metaverse object of the source entry with this anchor (by `sourceAnchor`).
    func mv(_ anchor: String) throws -> MVObject? {
        let found = try store.read { try $0.mvObjects(attribute: "sourceAnchor", value: anchor, limit: 2) }
        guard found.count <= 1 else { throw HarnessError(description: "two metaverse objects have sourceAnchor \(anchor)") }
        return found.first
    }

    func mvID(_ anchor: String) throws -> Int64 {
        guard let id = try mv(anchor)?.id else { throw HarnessError(description: "no metaverse object has sourceAnchor \(anchor)") }
        return id
    }

    /// The metaverse reference a target's desired state uses for the entry with this anchor.
    func ref(_ anchor: String) throws -> Reference { .metaverse(try mvID(anchor)) }

    /// The target's connector-space object joined to the entry's metaverse object.
    func targetObject(_ target: String, _ anchor: String) throws -> CSObject? {
        guard let id = try mv(anchor)?.id else { return nil }
        return try store.read { try $0.csObject(connector: target, mvID: id) }
    }

    func sourceObject(_ connector: String, _ anchor: String) throws -> CSObject? {
        try store.read { try $0.csObject(connector: connector, anchor: anchor) }
    }

    /// Metaverse ids the target holds (provisioned, not deprovisioned).
    func provisioned(_ target: String) throws -> Set<Int64> {
        Set(try store.read { try $0.provisioned(connector: target) }.keys)
    }

    func exports(_ target: String) throws -> [PendingExport] {
        try store.read { try $0.pendingExports(connector: target, after: 0, limit: 10_000) }
    }

    /// The pending export of the target's object joined to the entry.
    func export(_ target: String, _ anchor: String) throws -> PendingExport? {
        guard let object = try targetObject(target, anchor), let id = object.id else { return nil }
        return try store.read { try $0.pendingExport(csID: id) }
    }

    func targetObjects(_ target: String) throws -> [CSObject] {
        try store.read { try $0.csObjects(connector: target, after: 0, limit: 10_000, pendingImportOnly: false) }
    }

    // MARK: Simulated export

    /// Records every pending export of the target as done, as `Export` records a success: a create gets an
    /// anchor, the object holds the desired state, a delete removes the object.
    func completeExports(_ target: String) throws {
        try store.write { writer in
            for export in try writer.pendingExports(connector: target, after: 0, limit: 10_000) {
                guard var object = try writer.csObject(id: export.csID) else { continue }
                if export.operation == .delete {
                    try writer.deleteCSObject(id: export.csID)
                    continue
                }
                if object.anchor == nil { object.anchor = "\(target)-id-\(export.csID)" }
                object.setAttributes(export.attributes)
                object.references = export.references
                try writer.update(object)
                try writer.removePendingExport(csID: export.csID)
            }
        }
    }

    func completeAllExports() throws {
        for target in targets { try completeExports(target) }
    }
}
