import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idsync-bench",
        abstract: "The pieces of `make bench` that are not idsync itself: test data, a bare SCIM loader, a latency probe, unlock timing.",
        subcommands: [Generate.self, LoadSCIM.self, Latency.self, Unlock.self])
}
