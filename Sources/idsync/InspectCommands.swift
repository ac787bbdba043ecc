import ArgumentParser
import SyncEngine
import SyncStore

struct ConnectorSpaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cs", abstract: "Look at connector-space objects.", subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one connector-space object: its attributes, pending changes and metaverse link.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The connector's name.") var connector: String
        @Option(help: "The object's DN (for cloud objects: the userName or group displayName).") var dn: String?
        @Option(help: "The object's anchor (objectGUID, or the target's id).") var anchor: String?
        @Option(help: "With --anchor: the object's type, for a target that gives a user and a group the same id.")
        var objectType: ObjectType?

        func validate() throws {
            guard (dn == nil) != (anchor == nil) else { throw ValidationError("give exactly one of --dn and --anchor") }
            if objectType != nil && anchor == nil { throw ValidationError("--object-type goes with --anchor") }
        }

        func run() throws {
            let config = try global.loadConfig()
            guard let role = config.connector(named: connector)?.role else {
                throw CLIError("no connector named \"\(connector)\" in \(config.file)")
            }
            let store = try openExistingStore(config)
            try store.read { reader in
                let object = if let anchor {
                    try Self.object(reader, connector: connector, anchor: anchor, type: objectType)
                } else {
                    try reader.csObject(connector: connector, dnKey: ConnectorSpace.dnKey(dn ?? "", role: role))
                }
                guard let object else {
                    throw CLIError("\(connector): no object with \(dn.map { "DN \($0)" } ?? "anchor \(anchor ?? "")")")
                }
                print(try describe(object, reader))
            }
        }

        /// The object with this anchor; of this type when given, else refused when a user and a group share it.
        private static func object(_ reader: any StoreReader, connector: String, anchor: String, type: ObjectType?) throws -> CSObject? {
            if let type { return try reader.csObject(connector: connector, anchor: anchor, objectType: type) }
            let found = try ObjectType.allCases.compactMap { try reader.csObject(connector: connector, anchor: anchor, objectType: $0) }
            guard found.count < 2 else {
                throw CLIError("\(connector): a user and a group both have the id \(anchor); add --object-type user or --object-type group")
            }
            return found.first
        }
    }
}

struct MetaverseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mv", abstract: "Look at metaverse objects.", subcommands: [Search.self])

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find metaverse objects by an attribute value and show them with their connector-space links.",
            discussion: "Values match case-insensitively. Example: idsync mv search userPrincipalName=alice@contoso.test")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("What to look for.", valueName: "attribute=value")) var query: String
        @Option(help: "At most this many objects.") var limit = 20

        func run() throws {
            guard let eq = query.firstIndex(of: "="), eq != query.startIndex else {
                throw ValidationError("expected ATTRIBUTE=VALUE, e.g. userPrincipalName=alice@contoso.test")
            }
            let attribute = String(query[..<eq]), value = String(query[query.index(after: eq)...])
            let store = try openExistingStore(try global.loadConfig())
            try store.read { reader in
                let found = try reader.mvObjects(attribute: attribute, value: value, limit: limit)
                guard !found.isEmpty else { throw CLIError("no metaverse object with \(attribute)=\(value)") }
                for (index, object) in found.enumerated() {
                    if index > 0 { print() }
                    print("metaverse object \(object.id ?? 0) (\(object.objectType.rawValue))")
                    print(Format.attributes(object.attributes.merging(object.references.described) { $1 }))
                    print("links:")
                    for link in try reader.csObjects(mvID: object.id ?? 0) {
                        print("  \(link.connector): \(link.dn) (anchor \(link.anchor ?? "none yet"))")
                    }
                }
            }
        }
    }
}

/// A connector-space object, its pending changes and its metaverse link, as `cs show` prints it.
func describe(_ object: CSObject, _ reader: any StoreReader) throws -> String {
    var lines = [
        "connector:       \(object.connector)",
        "dn:              \(object.dn)",
        "anchor:          \(object.anchor ?? "none yet")",
        "type:            \(object.objectType.rawValue)",
        "pending import:  \(object.pendingImport?.rawValue ?? "none")",
    ]
    if let export = try reader.pendingExport(csID: object.id ?? 0) {
        lines.append("pending export:  \(export.operation.rawValue)\(export.lastError.map { " (last error: \($0))" } ?? "")")
    } else {
        lines.append("pending export:  none")
    }
    if let mvID = object.mvID {
        let others = try reader.csObjects(mvID: mvID).filter { $0.id != object.id }
        lines.append("metaverse:       object \(mvID)"
                     + (others.isEmpty ? "" : ", also joined to " + others.map { "\($0.connector): \($0.dn)" }.joined(separator: "; ")))
    } else {
        lines.append("metaverse:       not joined")
    }
    lines.append("attributes:")
    lines.append(Format.attributes(object.attributes.merging(object.references.described) { $1 }))
    return lines.joined(separator: "\n")
}

/// `--object-type user|group`.
extension ObjectType: ExpressibleByArgument {}
