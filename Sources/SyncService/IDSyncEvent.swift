import SyncStore

/// The events idsync records, with the ids and messages of the Windows sync service where it has them
/// (7038, 6028, 7036, 116) and idsync's own ids (65xx) for what Windows did not log. docs/events.md lists them.
public enum IDSyncEvent {
    public static let serviceSource = "idsync-service"
    public static let keySource = "idsync-key"

    /// Service-specific error code of a start that cannot unwrap the server encryption key (the seed's).
    public static let keyUnavailableCode = "-21451857952"
    /// Windows' "ERROR_SERVICE_LOGON_FAILED".
    public static let logonFailureCode = "1069"
    public static let logonFailureText = "Error 1069: The service did not start due to a logon failure."

    public static func logonFailed(account: String) -> EventRecord {
        EventRecord(eventID: 7038, level: .error, source: serviceSource, message:
            "The idsync service was unable to log on as \(account) with the currently configured password due to the "
            + "following error: The user name or password is incorrect.")
    }

    public static func keyUnavailable(_ detail: String) -> EventRecord {
        EventRecord(eventID: 6028, level: .error, source: keySource,
                    message: "The server encryption key cannot be accessed. (\(detail))")
    }

    public static func state(_ state: String) -> EventRecord {
        EventRecord(eventID: 7036, level: .information, source: serviceSource, message: "The idsync service entered the \(state) state.")
    }

    public static func startFailed(_ reason: String) -> EventRecord {
        EventRecord(eventID: 7000, level: .error, source: serviceSource, message: "The idsync service failed to start: \(reason)")
    }

    public static func keySetCreated(_ id: String) -> EventRecord {
        EventRecord(eventID: 6501, level: .information, source: keySource, message: "A new server encryption key was created (key set \(id)).")
    }

    public static func keyAbandoned(old: String?, new: String, reenter: [String]) -> EventRecord {
        let previous = old.map { "(key set \($0)) " } ?? ""
        let lost = reenter.isEmpty ? "No stored secret was lost." : "Secrets to enter again: " + reenter.joined(separator: ", ") + "."
        return EventRecord(eventID: 6502, level: .warning, source: keySource,
                           message: "The server encryption key \(previous)was abandoned; new key set \(new). \(lost)")
    }

    public static func keyExported(_ id: String, file: String) -> EventRecord {
        EventRecord(eventID: 6503, level: .information, source: keySource, message: "The server encryption key (key set \(id)) was exported to \(file).")
    }

    public static func keyImported(_ id: String, file: String) -> EventRecord {
        EventRecord(eventID: 6504, level: .warning, source: keySource, message: "The server encryption key (key set \(id)) was imported from \(file).")
    }

    public static func keyRotated(term: Int, reencrypted: Int, dropped: [Int]) -> EventRecord {
        EventRecord(eventID: 6505, level: .information, source: keySource, message:
            "The server encryption key was rotated to term \(term); \(reencrypted) secrets re-encrypted"
            + (dropped.isEmpty ? "." : "; terms \(dropped.map(String.init).joined(separator: ", ")) dropped."))
    }

    public static func keyRewrapped(account: String) -> EventRecord {
        EventRecord(eventID: 6506, level: .information, source: keySource, message:
            "The password of \(account) was changed and the server encryption key rewrapped under it; nothing needs to be entered again.")
    }

    public static func keyRecovered() -> EventRecord {
        EventRecord(eventID: 6507, level: .information, source: keySource, message:
            "The server encryption key was recovered with the previous service account password and rewrapped under the current one.")
    }

    public static func connectorSecretSet(_ connector: String, field: String) -> EventRecord {
        EventRecord(eventID: 6510, level: .information, source: keySource, message: "The \(field) of connector \(connector) was set.")
    }

    public static func serviceAccountSet(_ account: String) -> EventRecord {
        EventRecord(eventID: 6511, level: .information, source: serviceSource, message: "The idsync service now logs on as \(account).")
    }

    public static func cloudAccountReinitialized(connector: String, outcome: CloudAccount.Outcome) -> EventRecord {
        var message = "The cloud account of connector \(connector) was reinitialized: new client \(outcome.newClient)"
            + (outcome.issuer.map { " at \($0)" } ?? "") + "."
        if let previous = outcome.previousClient {
            message += outcome.previousRetired == true ? " The previous client \(previous) was retired."
                : " The previous client \(previous) is still registered: \(outcome.retireProblem ?? "not retired")."
        }
        return EventRecord(eventID: 6520, level: outcome.previousRetired == false ? .warning : .information,
                           source: keySource, message: message)
    }

    public static func connectorUnusable(_ reason: String) -> EventRecord {
        EventRecord(eventID: 6512, level: .error, source: serviceSource, message: "A connector cannot be opened: \(reason)")
    }
}
