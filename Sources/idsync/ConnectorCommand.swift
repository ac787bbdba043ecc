import ArgumentParser
import SyncConfiguration
import SyncEngine
import SyncService
import SyncStore

struct ConnectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "The configured connectors: their status and last runs, and what a SCIM target supports.",
        subcommands: [List.self, Show.self, Probe.self, SetPassword.self])

    struct SetPassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-password",
            abstract: "Store a connector's password (LDAP) or token (SCIM) in the vault, sealed under the server key.",
            discussion: """
                The secret is read from --password-file, else from standard input (prompted without echo on a \
                terminal). It is encrypted with the server encryption key, which the service account's password \
                protects. This is the step after `idsync key abandon`. A connector whose configuration names a \
                password_file / token_file keeps using that file.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The connector's name.") var name: String
        @Option(help: "Read the secret from this file instead of standard input.") var passwordFile: String?

        func run() throws {
            let config = try global.loadConfig()
            guard let connector = config.connector(named: name) else {
                throw CLIError("no connector named \"\(name)\" in \(config.file)")
            }
            let (field, file) = SecretField.of(connector)
            guard field != SecretField.clientSecret else {
                throw CLIError("\(name) uses an OAuth 2.0 client that idsync registers itself: run `\(SecretField.reentry(connector))`")
            }
            let secret = try SecretInput.read(field, file: passwordFile, confirm: true)
            let context = try ServiceContext(config)
            let key = try context.unlockKey()
            try context.keys.setSecret(secret, connector: name, field: field, key: key)
            context.events.record(IDSyncEvent.connectorSecretSet(name, field: field))
            print("\(name): \(field) stored in the vault (key set \(key.keySetID), term \(key.activeTerm))")
            if let file {
                print("note: the configuration names \(file) for this connector; that file is used while it is set")
            }
        }
    }

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
                case .bearer(let file): print("auth:     bearer token\(file.map { " from file \($0)" } ?? " from the vault")")
                case .oauth2ClientCredentials(let settings):
                    print("auth:     OAuth 2.0 client credentials (\(settings.clientAuth)), client from `idsync cloud-account reinit`")
                    print("issuer:   \(settings.issuer ?? "-")\(settings.tokenURL.map { ", token endpoint \($0)" } ?? "")")
                }
                let policy = TargetPolicy.of(config).first { $0.name == name }
                let deleteAfter = scim.deprovisionDeleteAfter.map { "deleted after \(Format.duration($0))" } ?? "never deleted"
                print("deprovision: \(scim.deprovision.rawValue)\(scim.deprovision == .disable ? " (users disabled, \(deleteAfter))" : "")")
                print("deletion threshold: \(policy?.deletionThreshold ?? config.sync.deletionThreshold)"
                      + (policy?.staging == true ? "; staging: exports held back" : ""))
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
