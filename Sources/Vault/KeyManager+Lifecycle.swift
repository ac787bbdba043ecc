import Foundation

/// Abandon, export, import and rotate: the operations that replace key material. Each ends by asking the
/// storage to erase what the replaced material left behind (`VaultStorage.eraseResidue`).
extension KeyManager {
    // MARK: Abandon (miiskmu /a)

    /// A new key set wrapped under the current service password; every stored secret becomes
    /// unrecoverable. Returns the records that must be entered again.
    @discardableResult
    public func abandon(servicePassword: String) throws -> [CredentialRecord] {
        let key = ServerKey.generate()
        var stored = key.stored(wrappers: [try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)])
        stored.records = try key.signList([], generation: 0)
        checkpoint("abandon:1")
        let lost = try storage.writeVault { writer in
            try writer.setKeySet(stored)
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
        try eraseResidue()
        return lost
    }

    // MARK: Export / import (miiskmu /e, /i)

    /// The key set protected by `passphrase` instead of the service password, as a key file's contents.
    /// The file carries no record list: the records stay in the database.
    public func export(key: ServerKey, passphrase: String) throws -> Data {
        let wrapper = try key.wrap(.export, secret: passphrase, parameters: parameters)
        return try KeyFile(keySet: key.stored(wrappers: [wrapper])).encoded()
    }

    /// Restores a key set from a key file: opened with `passphrase`, then wrapped under this server's
    /// service password. Nothing is written unless the file opens and importing it keeps every stored
    /// secret readable: the records here must belong to the imported key set (a copy of the exporting
    /// database) or be none at all, and a file of the same key set must not be older than the database's
    /// (a term missing, or the active term moved back — an export taken before a `key rotate`).
    @discardableResult
    public func importKey(_ file: Data, passphrase: String, servicePassword: String) throws -> ServerKey {
        let keyFile = try KeyFile.decode(file)
        let key = try ServerKey.unlock(keyFile.keySet, kind: .export, secret: passphrase)
        // Refuse a stale file before the service-password derivation; checked again inside the transaction.
        try storage.readVault { try Self.checkImport(of: key, over: $0) }
        let wrapper = try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)
        checkpoint("import:1")
        try storage.writeVault { writer in
            let current = try Self.checkImport(of: key, over: writer)
            var next = key.stored(wrappers: [wrapper])
            next.records = current?.id == key.keySetID ? current?.records : try key.signList([], generation: 0)
            try writer.setKeySet(next)
            checkpoint("import:2")
        }
        checkpoint("import:3")
        try eraseResidue()
        return key
    }

    /// Throws unless importing `key` over what `reader` holds leaves every sealed record readable and moves
    /// nothing back; returns the key set it would replace.
    @discardableResult
    static func checkImport(of key: ServerKey, over reader: any VaultReader) throws -> StoredKeySet? {
        guard let current = try reader.keySet() else { return nil }
        let sealed = try reader.credentials().compactMap { $0.status == .sealed ? $0.sealed : nil }
        guard current.id == key.keySetID else {
            if !sealed.isEmpty { throw VaultError.keySetMismatch(expected: current.id, found: key.keySetID) }
            return current
        }
        let imported = Set(key.terms.map(\.term))
        let missing = current.terms.map(\.term).filter { !imported.contains($0) }.sorted()
        let used = Set(try sealed.map { try CredentialRecordFormat.term(of: $0) })
        if !missing.isEmpty || key.activeTerm < current.activeTerm {
            throw VaultError.staleKeyFile(missing: missing, used: missing.filter(used.contains),
                                          fileActive: key.activeTerm, storeActive: current.activeTerm)
        }
        return current
    }

    /// The storage's residue erasure, after a committed change: a failure says the change was made.
    func eraseResidue() throws {
        do {
            try storage.eraseResidue()
        } catch {
            throw ResidueNotErased(reason: "\(error)")
        }
    }

    // MARK: Rotate

    public struct Rotation: Sendable {
        public let newTerm: Int
        public let reencrypted: Int
        public let droppedTerms: [Int]
    }

    /// A new term for new writes. With `reencrypt`, every record moves to it — each checked against the
    /// record list first, so a record put back from an earlier state is never re-sealed as current. Terms no
    /// record uses any more are dropped (never the active one).
    public func rotate(servicePassword: String, reencrypt: Bool) throws -> Rotation {
        var key = try unlock(servicePassword: servicePassword)
        let term = key.rotate()
        guard term <= KeySetLimits.maxTermNumber else { throw VaultError.tooManyTerms(term) }
        checkpoint("rotate:1")
        let rotation = try storage.writeVault { writer in
            guard let current = try writer.keySet(), current.id == key.keySetID else { throw VaultError.noKeySet }
            var moved = 0
            var used = Set<Int>()
            var changed = Set<RecordID>()
            for var record in try writer.credentials() where record.status == .sealed {
                guard let sealed = record.sealed else { continue }
                if reencrypt {
                    try key.checkListed(sealed, connector: record.connector, field: record.field, in: current)
                    let secret = try key.open(sealed, connector: record.connector, field: record.field)
                    record.sealed = try key.seal(secret, connector: record.connector, field: record.field)
                    record.updated = Date()
                    try writer.setCredential(record)
                    changed.insert(RecordID(connector: record.connector, field: record.field))
                    moved += 1
                    used.insert(term)
                    checkpoint("rotate:2")
                } else {
                    used.insert(try CredentialRecordFormat.term(of: sealed))
                }
            }
            // Listed before the terms are dropped: the previous list is signed with a term that may go.
            let list = try Self.relist(writer, key: key, stored: current, changed: changed)
            let dropped = key.dropTerms(notIn: used)
            guard key.terms.count <= KeySetLimits.maxTerms else { throw VaultError.tooManyTerms(key.terms.count) }
            checkpoint("rotate:3")
            var next = key.stored(wrappers: [try key.wrap(.serviceAccount, secret: servicePassword, parameters: parameters)])
            next.records = list
            try writer.setKeySet(next)
            checkpoint("rotate:4")
            return Rotation(newTerm: term, reencrypted: moved, droppedTerms: dropped)
        }
        checkpoint("rotate:5")
        try eraseResidue()
        return rotation
    }
}

/// The key operation committed, but the storage could not erase the copies of the replaced key material.
public struct ResidueNotErased: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String {
        "the change was made, but copies of the replaced key material may stay in the database's write-ahead log "
            + "until its next checkpoint (\(reason)); stop what else has the database open and run the command again"
    }
}
