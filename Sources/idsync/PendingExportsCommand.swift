import ArgumentParser
import SyncConfiguration
import SyncStore

struct PendingExports: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pending-exports",
        abstract: "List what the next export would write to the target: adds, updates with their attributes, deletes.",
        discussion: "In staging mode, or after `idsync sync --dry-run`, this is what idsync holds back.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "At most this many per target, in queue order.") var limit = 100
    @Option(help: ArgumentHelp("Only this target connector (default: every scim connector).", valueName: "NAME"))
    var connector: String?

    func run() throws {
        let config = try global.loadConfig()
        let targets = try targetNames(config, connector)
        let store = try openExistingStore(config)
        for (index, target) in targets.enumerated() {
            if index > 0 { print("") }
            try list(target, store, heading: targets.count > 1)
        }
    }

    private func list(_ target: String, _ store: some SyncStore, heading: Bool) throws {
        if heading { print("== \(target)") }
        try store.read { reader in
            let total = try reader.pendingExportCount(connector: target)
            guard total > 0 else {
                print("no pending exports" + (heading ? "" : " to \(target)"))
                return
            }
            let exports = try reader.pendingExports(connector: target, after: 0, limit: limit)
            var table = Table(headers: ["OPERATION", "TYPE", "OBJECT", "ATTRIBUTES", "LAST ERROR"])
            for export in exports {
                guard let object = try reader.csObject(id: export.csID) else { continue }
                let desired = export.attributes.merging(export.references.described) { $1 }
                let held = object.attributes.merging(object.references.described) { $1 }
                let changed = export.operation == .delete ? [] : desired.keys.filter {
                    desired[$0] != held[$0]
                }.sorted() + held.keys.filter { desired[$0] == nil }.sorted().map { "-" + $0 }
                table.add([export.operation.rawValue, object.objectType.rawValue, object.dn, changed.joined(separator: ","),
                           export.lastError ?? ""])
            }
            print(table.render())
            let counts = try ExportOperation.allCases.map { "\(try reader.pendingExportCount(connector: target, operation: $0)) \($0.rawValue)" }
            print("\n\(total) pending exports to \(target): \(counts.joined(separator: ", "))" + (total > exports.count ? " (first \(exports.count) shown)" : ""))
        }
    }
}

struct Errors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the objects in error: quarantined exports (refused by the target or by idsync, or not taken over) with their reasons.",
        discussion: "They are retried by every export; an object leaves the list once it is written. Objects a directory sent unreadable (no anchor, a value that is not UTF-8) are in the run history: `idsync runs --errors`.")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only this target connector (default: every scim connector).", valueName: "NAME"))
    var connector: String?

    func run() throws {
        let config = try global.loadConfig()
        let targets = try targetNames(config, connector)
        let store = try openExistingStore(config)
        let quarantined = try store.read { reader in
            try targets.flatMap { target in
                try reader.pendingExports(connector: target, after: 0, limit: Int.max).filter { $0.lastError != nil }.compactMap { export in
                    try reader.csObject(id: export.csID).map { (export, $0) }
                }
            }
        }
        guard !quarantined.isEmpty else {
            print("no objects in error")
            return
        }
        var table = Table(headers: ["CONNECTOR", "OBJECT", "OPERATION", "ATTEMPTS", "ERROR"])
        table.rightAligned = [3]
        for (export, object) in quarantined {
            table.add([object.connector, object.dn, export.operation.rawValue, String(export.attempts), export.lastError ?? ""])
        }
        print(table.render())
    }
}

/// The target connectors a command looks at: the one named, or every scim connector.
func targetNames(_ config: IDSyncConfig, _ name: String?) throws -> [String] {
    guard let name else { return config.targetConnectors.map(\.name) }
    guard config.connector(named: name)?.role == .target else {
        throw CLIError("no scim connector named \"\(name)\" in \(config.file)")
    }
    return [name]
}
