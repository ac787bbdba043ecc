import Foundation
import SyncConfiguration
import SyncService
import SyncStore
import Vault

/// What the key and service commands share: the store, the event log, the service account and its key.
struct ServiceContext {
    let config: IDSyncConfig
    let store: any IDSyncStore
    let events: EventLog

    init(_ config: IDSyncConfig) throws {
        self.config = config
        store = try openStore(config)
        events = EventLog(store: store, logger: cliLogger)
    }

    func account() throws -> ServiceAccount {
        do {
            return try ServiceAccount(config: config)
        } catch {
            throw CLIError("\(error)")
        }
    }

    func keyAccess() throws -> KeyAccess { KeyAccess(account: try account(), store: store, events: events) }

    var keys: KeyManager { KeyManager(storage: store, checkpoint: Failpoint.hit) }

    /// Refuses while the service runs (the seed: `miiskmu /a` fails while the server service is started).
    func requireServiceStopped(_ what: String) throws {
        guard try !ServiceLock.isHeld(config) else {
            let pid = (try? store.serviceState()?.pid).flatMap { $0 }.map { " (pid \($0))" } ?? ""
            throw CLIError("refused: the idsync service is running\(pid); stop it first (`idsync service stop`), then \(what)")
        }
    }

    /// Unlocks the key with the stored service password; a failure is the seed's 6028.
    func unlockKey() throws -> ServerKey {
        do {
            return try keyAccess().unlock()
        } catch let error as KeyUnavailable {
            throw CLIError("\(error)")
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
    }
}
