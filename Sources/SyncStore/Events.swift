import Foundation

/// One entry of idsync's event log, as Windows' event viewer would show it: an id, a level, a source, a
/// message and a time. Messages never hold a secret.
public struct EventRecord: Sendable, Equatable {
    public enum Level: String, Sendable { case information, warning, error }
    public var id: Int64?
    public var eventID: Int
    public var level: Level
    public var source: String
    public var message: String
    public var time: Date

    public init(id: Int64? = nil, eventID: Int, level: Level, source: String, message: String, time: Date = Date()) {
        self.id = id; self.eventID = eventID; self.level = level; self.source = source; self.message = message; self.time = time
    }
}

/// What `idsync service status` reports: the daemon's state and how its last start ended.
public struct ServiceState: Sendable, Equatable {
    public enum State: String, Sendable { case starting, running, stopping, stopped, failed }
    public var pid: Int32?
    public var state: State
    /// The start failure's code: "1069" (logon failure) or "-21451857952" (server encryption key).
    public var errorCode: String?
    public var message: String?
    public var started: Date?
    public var updated: Date

    public init(pid: Int32?, state: State, errorCode: String? = nil, message: String? = nil, started: Date? = nil,
                updated: Date = Date()) {
        self.pid = pid; self.state = state; self.errorCode = errorCode; self.message = message
        self.started = started; self.updated = updated
    }
}

public protocol EventStore: Sendable {
    func append(_ event: EventRecord) throws
    func events(eventID: Int?, since: Date?, last: Int) throws -> [EventRecord]
    func serviceState() throws -> ServiceState?
    func setServiceState(_ state: ServiceState) throws
}
