import ArgumentParser
import SyncEngine
import SyncService

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The sync rules in force: scoping, joins, projection, attribute flows, precedence.",
        subcommands: [Show.self, Check.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the rules in force, in the rules file format (docs/rules.md): the rules file (the built-in rules when sync.rules names none), then the outbound rules each target gets.")
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let config = try global.loadConfig()
            print(RuleLoader.text(for: config, rules: try loadRules(config)), terminator: "")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the rules: every key, expression and filter, then against the connected systems' schemas.",
            discussion: """
                After the file, idsync connects to every connector and reads its schema: each directory's subschema \
                (an attribute an inbound rule reads that the directory lacks is an error) and each target's /Schemas \
                and /ResourceTypes (an attribute an outbound rule writes that the target lacks, marks readOnly or \
                types differently is an error). One line per problem names the rule, the attribute and the connector. \
                Nothing is imported or exported.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Check the rules file only, without connecting to the directories and targets.") var offline = false

        func run() async throws {
            let config = try global.loadConfig()
            let rules = try loadRules(config)
            let summary = "\(rules.rules.count) rules: \(rules.rules.filter { $0.direction == .inbound }.count) inbound, "
                + "\(rules.rules.filter { $0.direction == .outbound }.count) outbound"
            guard !offline else {
                print("\(summary) — OK (not checked against the connected systems)")
                return
            }
            let (check, unavailable) = try await withConnectors(config, rules, hint: " (`idsync rules check --offline` checks the file alone)") { connectors in
                do {
                    return (try await RuleCheck.run(rules, connectors), connectors.unavailable)
                } catch {
                    throw CLIError("the schemas could not be read: \(error)")
                }
            }
            for note in check.notes { print("note: \(note)") }
            for (name, reason) in unavailable { print("not checked: \(name): \(reason)") }
            for target in check.unchecked { print("not checked against a schema: \(target)") }
            guard check.errors.isEmpty else { throw CLIError(check.errors.map(\.description).joined(separator: "\n")) }
            print("\(summary) — OK")
        }
    }
}
