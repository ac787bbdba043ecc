import Foundation
import Logging
import SyncConfiguration
import Synchronization
import SyncEngine
import SyncStore
import Vault

/// Opening the server encryption key with the service account's password, the way every command and the
/// service do it: a failure is event 6028, "The server encryption key cannot be accessed."
public struct KeyAccess: Sendable {
    public let account: ServiceAccount
    public let keys: KeyManager
    public let events: EventLog

    public init(account: ServiceAccount, store: any IDSyncStore, events: EventLog, parameters: ScryptParameters = .standard) {
        self.account = account
        self.keys = KeyManager(storage: store, parameters: parameters, checkpoint: Failpoint.hit)
        self.events = events
    }

    /// Unlocks with `password` (default: the stored one); creates the key set when none exists (unless
    /// `create` is false: then `VaultError.noKeySet`).
    public func unlock(password: String? = nil, create: Bool = true) throws -> ServerKey {
        let password = try password ?? account.readPassword()
        do {
            guard create else { return try keys.unlock(servicePassword: password) }
            let (key, created) = try keys.unlockOrCreate(servicePassword: password)
            if created { events.record(IDSyncEvent.keySetCreated(key.keySetID)) }
            return key
        } catch VaultError.noKeySet where !create {
            throw VaultError.noKeySet
        } catch let error as VaultError {
            events.record(IDSyncEvent.keyUnavailable("\(error)"))
            throw KeyUnavailable(reason: error)
        }
    }

    /// Connector secrets resolved through the vault with an unlocked key.
    public func secrets(_ key: ServerKey) -> ConnectorSecrets {
        let keys = keys
        return ConnectorSecrets { connector, field in try keys.secret(connector: connector, field: field, key: key) }
    }
}

/// The seed's 6028 condition, as an error commands print.
public struct KeyUnavailable: Error, CustomStringConvertible {
    public let reason: VaultError
    public var description: String {
        "The server encryption key cannot be accessed: \(reason). Recover it (`idsync key recover`, `idsync key import`) "
            + "or abandon it (`idsync key abandon`) and enter the connector secrets again."
    }
}

/// Connector secrets for one-shot commands (`idsync sync`): the vault is opened only when a connector
/// without a configured file needs its secret, and only if a database already exists — a first run that
/// fails must not leave a database behind.
public final class LazyVaultSecrets: Sendable {
    private let config: IDSyncConfig
    private let logger: Logger
    private let key = Mutex<ServerKey?>(nil)

    public init(config: IDSyncConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// File-only secrets when no service account is configured (the vault needs one).
    public var secrets: ConnectorSecrets {
        guard config.service.account != nil else { return ConnectorSecrets(vault: nil) }
        return ConnectorSecrets { [self] connector, field in try lookup(connector: connector, field: field) }
    }

    private func lookup(connector: String, field: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: config.database) else { return nil }
        let store = try Stores.open(path: config.database)
        let access = KeyAccess(account: try ServiceAccount(config: config), store: store, events: EventLog(store: store, logger: logger))
        let unlocked: ServerKey
        if let cached = key.withLock({ $0 }) {
            unlocked = cached
        } else {
            do {
                unlocked = try access.unlock(create: false)
            } catch VaultError.noKeySet {
                return nil
            }
            key.withLock { $0 = unlocked }
        }
        return try access.keys.secret(connector: connector, field: field, key: unlocked)
    }
}
