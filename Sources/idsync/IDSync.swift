import ArgumentParser

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
}
