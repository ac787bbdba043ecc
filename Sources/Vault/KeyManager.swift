import Foundation

/// The key management operations of the seed's `miiskmu` and more, over a `VaultStorage`. Every change to
/// the key set and the records sealed under it is one atomic storage transaction.
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

    /// Unlocks the server key with the service account's password.
    public func unlock(servicePassword: String) throws -> ServerKey {
        guard let stored = try storedKeySet() else { throw VaultError.noKeySet }
        return try ServerKey.unlock(stored, kind: .serviceAccount, secret: servicePassword)
    }

    /// Unlocks the key, creating the key set first when there is none (first start, first secret).
    public func unlockOrCreate(servicePassword: String) throws -> (key: ServerKey, created: Bool) {
        if try storedKeySet() != nil { return (try unlock(servicePassword: servicePassword), false) }
        let key = ServerKey.generate()
        let wrapper = try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)
        let created = try storage.writeVault { writer -> Bool in
            guard try writer.keySet() == nil else { return false }   // another process was faster
            try writer.setKeySet(key.stored(wrappers: [wrapper]))
            return true
        }
        return created ? (key, true) : (try unlock(servicePassword: servicePassword), false)
    }

    // MARK: Credentials

    /// Seals and stores a connector secret (the seed's Connectors → Properties → password).
    public func setSecret(_ secret: String, connector: String, field: String, key: ServerKey) throws {
        let sealed = try key.seal(secret, connector: connector, field: field)
        try storage.writeVault { writer in
            guard try writer.keySet()?.id == key.keySetID else { throw VaultError.keySetMismatch(
                expected: key.keySetID, found: (try writer.keySet()?.id) ?? "none") }
            try writer.setCredential(CredentialRecord(connector: connector, field: field, sealed: sealed, status: .sealed))
        }
    }

    /// Seals and stores several secrets of one connector in one transaction: all or none.
    public func setSecrets(_ secrets: [(field: String, value: String)], connector: String, key: ServerKey) throws {
        let sealed = try secrets.map { ($0.field, try key.seal($0.value, connector: connector, field: $0.field)) }
        try storage.writeVault { writer in
            guard try writer.keySet()?.id == key.keySetID else {
                throw VaultError.keySetMismatch(expected: key.keySetID, found: (try writer.keySet()?.id) ?? "none")
            }
            for (field, record) in sealed {
                try writer.setCredential(CredentialRecord(connector: connector, field: field, sealed: record, status: .sealed))
            }
        }
    }

    /// A connector's secret, or nil when none is stored. Throws for an unrecoverable or tampered record.
    public func secret(connector: String, field: String, key: ServerKey) throws -> String? {
        guard let record = try storage.readVault({ try $0.credential(connector: connector, field: field) }) else { return nil }
        guard record.status == .sealed, let sealed = record.sealed else { throw CredentialUnavailable(record: record) }
        return try key.open(sealed, connector: connector, field: field)
    }

    public func removeSecret(connector: String, field: String) throws {
        try storage.writeVault { try $0.removeCredential(connector: connector, field: field) }
    }

    /// Each stored record and whether `key` opens it (nil key: the key set cannot be unlocked).
    public func credentialStatus(key: ServerKey?) throws -> [(record: CredentialRecord, readable: Bool, problem: String?)] {
        try storage.readVault { try $0.credentials() }.map { record in
            guard record.status == .sealed, let sealed = record.sealed else {
                return (record, false, "unrecoverable: the key that sealed it was abandoned")
            }
            guard let key else { return (record, false, "the server encryption key cannot be accessed") }
            do {
                _ = try key.open(sealed, connector: record.connector, field: record.field)
                return (record, true, nil)
            } catch {
                return (record, false, "\(error)")
            }
        }
    }

    // MARK: Abandon (miiskmu /a)

    /// A new key set wrapped under the current service password; every stored secret becomes
    /// unrecoverable. Returns the records that must be entered again.
    @discardableResult
    public func abandon(servicePassword: String) throws -> [CredentialRecord] {
        let key = ServerKey.generate()
        let wrapper = try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)
        checkpoint("abandon:1")
        let lost = try storage.writeVault { writer in
            try writer.setKeySet(key.stored(wrappers: [wrapper]))
            checkpoint("abandon:2")
            var lost: [CredentialRecord] = []
            for var record in try writer.credentials() {
                record.sealed = nil
                record.status = .unrecoverable
                record.updated = Date()
                try writer.setCredential(record)
                lost.append(record)
                checkpoint("abandon:3")
            }
            return lost
        }
        checkpoint("abandon:4")
        return lost
    }

    // MARK: Export / import (miiskmu /e, /i)

    /// The key set protected by `passphrase` instead of the service password, as a key file's contents.
    public func export(key: ServerKey, passphrase: String) throws -> Data {
        let wrapper = try key.wrap(.export, secret: passphrase, parameters: parameters)
        return try KeyFile(keySet: key.stored(wrappers: [wrapper])).encoded()
    }

    /// Restores a key set from a key file: opened with `passphrase`, then wrapped under this server's
    /// service password. Nothing is written unless the file opens. The records stored here must belong to
    /// the imported key set (a copy of the exporting database) or be none at all.
    @discardableResult
    public func importKey(_ file: Data, passphrase: String, servicePassword: String) throws -> ServerKey {
        let keyFile = try KeyFile.decode(file)
        let key = try ServerKey.unlock(keyFile.keySet, kind: .export, secret: passphrase)
        let wrapper = try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)
        checkpoint("import:1")
        try storage.writeVault { writer in
            if let current = try writer.keySet(), current.id != key.keySetID,
               try writer.credentials().contains(where: { $0.status == .sealed }) {
                throw VaultError.keySetMismatch(expected: current.id, found: key.keySetID)
            }
            try writer.setKeySet(key.stored(wrappers: [wrapper]))
            checkpoint("import:2")
        }
        checkpoint("import:3")
        return key
    }

    // MARK: Rotate

    public struct Rotation: Sendable {
        public let newTerm: Int
        public let reencrypted: Int
        public let droppedTerms: [Int]
    }

    /// A new term for new writes. With `reencrypt`, every record moves to it. Terms no record uses any
    /// more are dropped (never the active one).
    public func rotate(servicePassword: String, reencrypt: Bool) throws -> Rotation {
        var key = try unlock(servicePassword: servicePassword)
        let term = key.rotate()
        checkpoint("rotate:1")
        let rotation = try storage.writeVault { writer in
            var moved = 0
            var used = Set<Int>()
            for var record in try writer.credentials() where record.status == .sealed {
                guard let sealed = record.sealed else { continue }
                if reencrypt {
                    let secret = try key.open(sealed, connector: record.connector, field: record.field)
                    record.sealed = try key.seal(secret, connector: record.connector, field: record.field)
                    record.updated = Date()
                    try writer.setCredential(record)
                    moved += 1
                    used.insert(term)
                    checkpoint("rotate:2")
                } else {
                    used.insert(try CredentialRecordFormat.term(of: sealed))
                }
            }
            let dropped = key.dropTerms(notIn: used)
            checkpoint("rotate:3")
            try writer.setKeySet(key.stored(wrappers: [try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)]))
            checkpoint("rotate:4")
            return Rotation(newTerm: term, reencrypted: moved, droppedTerms: dropped)
        }
        checkpoint("rotate:5")
        return rotation
    }

    // MARK: Service password: change, recover

    /// Adds a wrapper for `newPassword` beside the existing ones (the key opens with either): the first
    /// step of a password change, safe to crash after.
    public func addServiceWrapper(unlockingWith currentPassword: String, newPassword: String) throws {
        let key = try unlock(servicePassword: currentPassword)
        let wrapper = try key.wrap(.serviceAccount, secret: newPassword, parameters: parameters)
        try storage.writeVault { writer in
            guard var stored = try writer.keySet(), stored.id == key.keySetID else { throw VaultError.noKeySet }
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
            try writer.setKeySet(key.stored(wrappers: [wrapper]))
            checkpoint("rewrap:1")
        }
        checkpoint("rewrap:2")
    }

    /// After a reset made elsewhere: the previous password still opens the key; wrap it under the current one.
    public func recover(previousPassword: String, currentPassword: String) throws {
        let key = try unlock(servicePassword: previousPassword)
        try rewrap(key: key, servicePassword: currentPassword)
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

/// The key export file (miiskmu /e): the key set with an export wrapper only.
public struct KeyFile: Codable, Sendable {
    public static let format = "idsync-key-export-v1"
    public var format: String = KeyFile.format
    public var keySet: StoredKeySet

    public init(keySet: StoredKeySet) { self.keySet = keySet }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> KeyFile {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let file = try? decoder.decode(KeyFile.self, from: data), file.format == format else {
            throw VaultError.malformed("key file (expected \(format))")
        }
        return file
    }
}
