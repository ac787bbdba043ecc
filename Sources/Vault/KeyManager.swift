import Foundation

/// The key management operations of the seed's `miiskmu` and more, over a `VaultStorage`. Every change to
/// the key set and the records sealed under it is one atomic storage transaction, and every change of a
/// record re-signs the key set's list of records (`RecordList`) in that same transaction.
public struct KeyManager: Sendable {
    public let storage: any VaultStorage
    public let parameters: ScryptParameters
    /// Called at each named step of a key operation ("rotate:2"): the crash tests kill the process there,
    /// before, inside and after the storage transaction.
    let checkpoint: @Sendable (String) -> Void

    public init(storage: any VaultStorage, parameters: ScryptParameters = .standard,
                checkpoint: @escaping @Sendable (String) -> Void = { _ in }) {
        self.storage = storage
        self.parameters = parameters
        self.checkpoint = checkpoint
    }

    public func storedKeySet() throws -> StoredKeySet? { try storage.readVault { try $0.keySet() } }

    /// Unlocks the server key with the service account's password. A vault written before wrapper
    /// checksums and record lists existed gets both now, once: its records are accepted as they are.
    public func unlock(servicePassword: String) throws -> ServerKey {
        guard let stored = try storedKeySet() else { throw VaultError.noKeySet }
        let key = try ServerKey.unlock(stored, kind: .serviceAccount, secret: servicePassword)
        if stored.records == nil || stored.wrappers.contains(where: { $0.check == nil }) {
            try storage.writeVault { writer in
                guard var current = try writer.keySet(), current == stored else { return }   // changed meanwhile
                current.wrappers = current.wrappers.map { $0.check == nil ? $0.checked(keySetID: current.id) : $0 }
                if current.records == nil { current.records = try Self.relist(writer, key: key, stored: current, changed: []) }
                try writer.setKeySet(current)
            }
        }
        return key
    }

    /// Unlocks the key, creating the key set first when there is none (first start, first secret).
    public func unlockOrCreate(servicePassword: String) throws -> (key: ServerKey, created: Bool) {
        if try storedKeySet() != nil { return (try unlock(servicePassword: servicePassword), false) }
        let key = ServerKey.generate()
        var stored = key.stored(wrappers: [try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)])
        stored.records = try key.signList([], generation: 0)
        let created = try storage.writeVault { writer -> Bool in
            guard try writer.keySet() == nil else { return false }   // another process was faster
            try writer.setKeySet(stored)
            return true
        }
        return created ? (key, true) : (try unlock(servicePassword: servicePassword), false)
    }

    // MARK: Credentials

    /// Seals and stores a connector secret (the seed's Connectors → Properties → password).
    public func setSecret(_ secret: String, connector: String, field: String, key: ServerKey) throws {
        try setSecrets([(field: field, value: secret)], connector: connector, key: key)
    }

    /// Seals and stores several secrets of one connector in one transaction: all or none.
    public func setSecrets(_ secrets: [(field: String, value: String)], connector: String, key: ServerKey) throws {
        let sealed = try secrets.map { ($0.field, try key.seal($0.value, connector: connector, field: $0.field)) }
        try storage.writeVault { writer in
            guard var stored = try writer.keySet(), stored.id == key.keySetID else {
                throw VaultError.keySetMismatch(expected: key.keySetID, found: (try writer.keySet()?.id) ?? "none")
            }
            for (field, record) in sealed {
                try writer.setCredential(CredentialRecord(connector: connector, field: field, sealed: record, status: .sealed))
            }
            stored.records = try Self.relist(writer, key: key, stored: stored,
                                             changed: Set(sealed.map { RecordID(connector: connector, field: $0.0) }))
            try writer.setKeySet(stored)
        }
    }

    /// A connector's secret, or nil when none is stored. Throws for an unrecoverable or tampered record,
    /// and for one that is not the record the key set's list names (put back from an earlier state).
    public func secret(connector: String, field: String, key: ServerKey) throws -> String? {
        let (stored, found) = try storage.readVault { reader in
            (try reader.keySet(), try reader.credential(connector: connector, field: field))
        }
        guard let record = found else { return nil }
        guard record.status == .sealed, let sealed = record.sealed else { throw CredentialUnavailable(record: record) }
        guard let stored else { throw VaultError.noKeySet }
        try key.checkListed(sealed, connector: connector, field: field, in: stored)
        return try key.open(sealed, connector: connector, field: field)
    }

    /// Removes a record. Its entry in the list stays until the next write with the key drops it; a missing
    /// record reads as none.
    public func removeSecret(connector: String, field: String) throws {
        try storage.writeVault { try $0.removeCredential(connector: connector, field: field) }
    }

    /// Each stored record and whether `key` opens it (nil key: the key set cannot be unlocked).
    public func credentialStatus(key: ServerKey?) throws -> [(record: CredentialRecord, readable: Bool, problem: String?)] {
        let (stored, records) = try storage.readVault { reader in (try reader.keySet(), try reader.credentials()) }
        return records.map { record in
            guard record.status == .sealed, let sealed = record.sealed else {
                return (record, false, "unrecoverable: the key that sealed it was abandoned")
            }
            guard let key, let stored else { return (record, false, "the server encryption key cannot be accessed") }
            do {
                try key.checkListed(sealed, connector: record.connector, field: record.field, in: stored)
                _ = try key.open(sealed, connector: record.connector, field: record.field)
                return (record, true, nil)
            } catch {
                return (record, false, "\(error)")
            }
        }
    }

    // MARK: Service password: change, recover

    /// Adds a wrapper for `newPassword` beside the existing ones (the key opens with either): the first
    /// step of a password change, safe to crash after.
    public func addServiceWrapper(unlockingWith currentPassword: String, newPassword: String) throws {
        let key = try unlock(servicePassword: currentPassword)
        let wrapper = try key.wrap(.serviceAccount, secret: newPassword, parameters: parameters)
        try storage.writeVault { writer in
            guard var stored = try writer.keySet(), stored.id == key.keySetID else { throw VaultError.noKeySet }
            guard stored.wrappers.count < KeySetLimits.maxWrappers else {
                throw VaultError.malformed("key set (already \(stored.wrappers.count) wrappers)")
            }
            stored.wrappers.append(wrapper)
            try writer.setKeySet(stored)
            checkpoint("add-wrapper:1")
        }
    }

    /// Keeps only a wrapper for `password` (rewrapped fresh): the last step of a password change, and the
    /// whole of a recovery.
    public func rewrap(key: ServerKey, servicePassword: String) throws {
        let wrapper = try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)
        try storage.writeVault { writer in
            guard let current = try writer.keySet(), current.id == key.keySetID else {
                throw VaultError.keySetMismatch(expected: key.keySetID, found: (try writer.keySet()?.id) ?? "none")
            }
            var next = key.stored(wrappers: [wrapper])
            next.records = current.records
            try writer.setKeySet(next)
            checkpoint("rewrap:1")
        }
        checkpoint("rewrap:2")
    }

    /// After a reset made elsewhere: the previous password still opens the key; wrap it under the current one.
    public func recover(previousPassword: String, currentPassword: String) throws {
        let key = try unlock(servicePassword: previousPassword)
        try rewrap(key: key, servicePassword: currentPassword)
    }

    // MARK: The record list

    struct RecordID: Hashable { var connector: String; var field: String }

    /// The list for the records now in `writer`, signed with `key`'s active term: entries of records
    /// `changed` in this transaction get their new digest; every other record keeps the entry it had, so a
    /// record swapped behind idsync's back stays detected and is never re-listed as it is. Records gone
    /// (removed, abandoned) leave the list. A vault without a list yet lists its records as they are.
    static func relist(_ writer: any VaultReader, key: ServerKey, stored: StoredKeySet, changed: Set<RecordID>) throws -> RecordList {
        let previous = stored.records
        if let previous, stored.id != key.keySetID || !key.verifies(previous) { throw VaultError.recordListTampered }
        var entries: [RecordList.Entry] = []
        for record in try writer.credentials() where record.status == .sealed {
            guard let sealed = record.sealed else { continue }
            if previous == nil || changed.contains(RecordID(connector: record.connector, field: record.field)) {
                entries.append(.init(connector: record.connector, field: record.field, digest: RecordList.digest(sealed)))
            } else if let kept = previous?.entry(connector: record.connector, field: record.field) {
                entries.append(kept)
            }
        }
        return try key.signList(entries, generation: (previous?.generation ?? 0) + 1)
    }
}

/// A record that exists but cannot be used: its key was abandoned.
public struct CredentialUnavailable: Error, CustomStringConvertible, Sendable {
    public let record: CredentialRecord
    public var description: String {
        "the stored \(record.field) of connector \(record.connector) is unrecoverable (its key was abandoned): "
            + "enter it again with `idsync connector set-password \(record.connector)`"
    }
}
