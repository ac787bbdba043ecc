import ArgumentParser
import Foundation
import SyncStore

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event log: service starts and failures (7038, 6028, 7036, …) and key operations.",
        discussion: "docs/events.md lists the event ids.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only events with this id.") var id: Int?
    @Option(help: ArgumentHelp("Only events at or after this time.", valueName: "yyyy-MM-dd[ HH:mm[:ss]]")) var since: String?
    @Option(help: "At most this many events, newest last.") var last = 50

    func run() throws {
        let config = try global.loadConfig()
        let store = try openExistingStore(config)
        let sinceDate = try since.map { text -> Date in
            for format in ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss"] {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.dateFormat = format
                if let date = formatter.date(from: text) { return date }
            }
            throw ValidationError("--since: cannot read \"\(text)\" as yyyy-MM-dd[ HH:mm[:ss]]")
        }
        let events = try store.events(eventID: id, since: sinceDate, last: last)
        guard !events.isEmpty else {
            print("no events")
            return
        }
        var table = Table(headers: ["TIME", "ID", "LEVEL", "SOURCE", "MESSAGE"])
        table.rightAligned = [1]
        for event in events {
            table.add([Format.time(event.time), String(event.eventID), event.level.rawValue, event.source, event.message])
        }
        print(table.render())
    }
}
