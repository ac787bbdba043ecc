import Logging
import SyncStore

/// Records events in the `events` table (`idsync events` reads them) and as structured lines on standard
/// error, which systemd sends to the journal.
public struct EventLog: Sendable {
    let store: any EventStore
    let logger: Logger

    public init(store: any EventStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(_ event: EventRecord) {
        let level: Logger.Level = switch event.level {
        case .information: .info
        case .warning: .warning
        case .error: .error
        }
        logger.log(level: level, "\(event.message)", metadata: ["event": "\(event.eventID)", "source": "\(event.source)"])
        do {
            try store.append(event)
        } catch {
            logger.error("the event could not be stored", metadata: ["event": "\(event.eventID)", "error": "\(error)"])
        }
    }
}
