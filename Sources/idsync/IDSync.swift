import ArgumentParser
import Foundation
import SyncService

@main
struct IDSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idsync",
        abstract: "Synchronize users and groups from Active Directory / LDAP into a SCIM 2.0 directory.",
        discussion: """
            Exit status: 0 when everything succeeded, 2 when a run completed but some objects failed \
            (see `idsync runs`), 1 when a run or command failed.
            """,
        subcommands: [Sync.self, ConnectorCommand.self, Runs.self, ConnectorSpaceCommand.self, MetaverseCommand.self,
                      KeyCommand.self, ServiceCommand.self, CloudAccountCommand.self, Events.self,
                      PendingExports.self, Errors.self, Run.self, Rules.self]
    )

    /// Every command may read a secret (a password file, the vault), so each process is made non-dumpable and
    /// without core files before anything else; then the command runs as ArgumentParser would run it.
    static func main() async {
        do {
            try ProcessHardening.apply()
        } catch {
            exit(withError: CLIError("\(error)"))
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
