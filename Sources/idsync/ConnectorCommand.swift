import ArgumentParser
import SyncConfiguration
import SyncStore

struct ConnectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "The configured connectors: their status and last runs.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the connectors with their object counts and last run.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try global.loadConfig()
            let store = try? openExistingStore(config)
            var table = Table(headers: ["NAME", "TYPE", "ROLE", "OBJECTS", "PENDING EXPORTS", "LAST RUN", "RESULT"])
            table.rightAligned = [3, 4]
            for connector in config.connectors {
                let (objects, pending, last) = try store?.read { reader in
                    (try reader.csCount(connector: connector.name), try reader.pendingExportCount(connector: connector.name),
                     try reader.runs(connector: connector.name, last: 1).last)
                } ?? (0, 0, nil)
                table.add([connector.name, connector.typeName, connector.role == .source ? "source" : "target",
                           String(objects), String(pending),
                           last.map { "\(Format.time($0.started)) \($0.profile.rawValue)" } ?? "never",
                           last?.status.rawValue ?? "-"])
            }
            print(table.render())
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one connector's settings, status and recent runs.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The connector's name, as in the configuration.") var name: String

        func run() throws {
            let config = try global.loadConfig()
            guard let connector = config.connector(named: name) else {
                throw CLIError("no connector named \"\(name)\" in \(config.file); known: "
                               + config.connectors.map(\.name).joined(separator: ", "))
            }
            print("name:     \(connector.name)")
            print("type:     \(connector.typeName) (\(connector.role == .source ? "source" : "target"))")
            switch connector.kind {
            case .ldap(let ldap):
                print("flavor:   \(ldap.flavor.rawValue)")
                print("url:      \(ldap.url)\(ldap.startTLS ? " (StartTLS)" : "")")
                print("tls:      \(ldap.tlsVerify ? "verified" : "NOT VERIFIED (tls_verify: false)")\(ldap.tlsCAFile.map { ", CA \($0)" } ?? "")")
                print("bind dn:  \(ldap.bindDN)")
                print("password: \(ldap.passwordFile.map { "from file \($0)" } ?? "not set")")
                print("base dn:  \(ldap.baseDN)")
                print("scope:    \(ldap.searchBases.joined(separator: "; "))")
            case .scim(let scim):
                print("url:      \(scim.url)")
                switch scim.auth {
                case .bearer(let file): print("auth:     bearer token\(file.map { " from file \($0)" } ?? "")")
                }
            }
            guard let store = try? openExistingStore(config) else {
                print("status:   never run")
                return
            }
            let (objects, pending, runs) = try store.read { reader in
                (try reader.csCount(connector: name), try reader.pendingExportCount(connector: name),
                 try reader.runs(connector: name, last: 5))
            }
            print("objects:  \(objects) in the connector space, \(pending) pending exports")
            print("status:   \(runs.last.map { "\($0.profile.rawValue) \($0.status.rawValue) at \(Format.time($0.started))" } ?? "never run")")
            if let message = runs.last?.message { print("          \(message)") }
            if !runs.isEmpty {
                print("\nrecent runs:")
                print(RunTable.render(runs, withIDs: true))
            }
        }
    }
}
