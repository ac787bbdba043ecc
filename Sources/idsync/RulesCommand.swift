import ArgumentParser
import SyncEngine

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The sync rules in force: scoping, joins, projection, attribute flows, precedence.",
        subcommands: [Show.self, Check.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the rules in force, in the rules file format (docs/rules.md); the built-in ones when sync.rules names no file.")
        @OptionGroup var global: GlobalOptions
        func run() throws { print(RuleLoader.text(for: try global.loadConfig()), terminator: "") }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the rules file: every key, expression and filter.")
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let config = try global.loadConfig()
            let rules = try loadRules(config)
            print("\(rules.rules.count) rules: \(rules.rules.filter { $0.direction == .inbound }.count) inbound, "
                  + "\(rules.rules.filter { $0.direction == .outbound }.count) outbound — OK")
        }
    }
}
