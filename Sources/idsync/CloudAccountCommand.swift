import ArgumentParser
import Foundation
import SyncConfiguration
import SyncEngine
import SyncService

struct CloudAccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloud-account",
        abstract: "The sync service's own credential for the cloud directory (the seed's Add-ADSyncAADServiceAccount).",
        subcommands: [Reinit.self])

    struct Reinit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the sync service a fresh OAuth 2.0 client, registered with a tenant admin's credential.",
            discussion: """
                The admin credential is an RFC 7591 initial access token (Canaille: `canaille jwt registration`), \
                read from --admin-credential-file or standard input and never stored. idsync registers a new client \
                for the client-credentials grant, checks it obtains a token, stores its secret in the vault, and \
                retires the previous client (RFC 7592) with the registration token it kept — or, when that was lost \
                with an abandoned key, with --management-credential-file. For a bearer-token connector, the token \
                must be re-issued in the provider; reinit then reads it from standard input and stores it.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The SCIM connector whose credential to renew.") var connector: String
        @Option(help: "File holding the tenant admin's credential (an RFC 7591 initial access token).") var adminCredentialFile: String?
        @Option(help: "File holding a management credential for the previous client (RFC 7592), when its own token was lost.")
        var managementCredentialFile: String?

        func run() async throws {
            let config = try global.loadConfig()
            guard let found = config.connector(named: connector), case .scim(let scim) = found.kind else {
                throw CLIError("no scim connector named \"\(connector)\" in \(config.file)")
            }
            let context = try ServiceContext(config)
            if case .bearer(let file) = scim.auth {
                try renewBearer(context, tokenFile: file)
                return
            }
            let admin = try SecretInput.read("admin credential (initial access token)", file: adminCredentialFile)
            let management = try managementCredentialFile.map { try SecretInput.read("management credential", file: $0) }
            _ = try context.unlockKey()   // an inaccessible key (6028) stops here, before anything is registered
            let outcome: CloudAccount.Outcome
            do {
                outcome = try await CloudAccount(config: config, connector: connector, store: context.store,
                                                 access: try context.keyAccess()).reinitialize(adminCredential: admin,
                                                                                              managementCredential: management)
            } catch let error as ServiceError {
                throw CLIError("\(connector): \(error); nothing was changed")
            }
            print("\(connector): new client \(outcome.newClient) registered\(outcome.issuer.map { " at \($0)" } ?? ""); "
                  + "its secret is in the vault")
            if let previous = outcome.previousClient {
                if outcome.previousRetired == true {
                    print("the previous client \(previous) was retired")
                } else {
                    print("warning: the previous client \(previous) is still registered: \(outcome.retireProblem ?? "")")
                }
            }
        }

        private func renewBearer(_ context: ServiceContext, tokenFile: String?) throws {
            if let tokenFile {
                throw CLIError("\(connector) reads its bearer token from \(tokenFile): re-issue the token in the SCIM provider "
                               + "and write it to that file")
            }
            FileHandle.standardError.write(Data(("\(connector) authenticates with a bearer token, which only the SCIM provider can "
                                                 + "issue: re-issue it there, then give it here.\n").utf8))
            let token = try SecretInput.read("new bearer token", file: adminCredentialFile)
            let key = try context.unlockKey()
            try context.keys.setSecret(token, connector: connector, field: SecretField.token, key: key)
            context.events.record(IDSyncEvent.connectorSecretSet(connector, field: SecretField.token))
            print("\(connector): token stored in the vault")
        }
    }
}
