import Crypto
import Foundation

/// The unlocked server encryption key: the one type in idsync that holds key bytes and performs every
/// encryption and decryption with them (HashiCorp Vault's barrier, in small). It lives only in the process
/// that needs it, for as long as it needs it, and is never written anywhere unwrapped.
///
/// A key set has an id and numbered terms, each a random 256-bit AES-GCM key. New secrets are sealed with
/// the active term; records name their term, so older terms keep opening older records after a rotation.
public struct ServerKey: Sendable {
    public let keySetID: String
    public let created: Date
    public private(set) var activeTerm: Int
    private var keys: [Int: SymmetricKey]
    private var termCreated: [Int: Date]

    /// A new key set with one fresh term.
    public static func generate(now: Date = Date()) -> ServerKey {
        ServerKey(keySetID: UUID().uuidString.lowercased(), created: now, activeTerm: 1,
                  keys: [1: SymmetricKey(size: .bits256)], termCreated: [1: now])
    }

    public var terms: [TermInfo] {
        termCreated.keys.sorted().map { TermInfo(term: $0, created: termCreated[$0]!) }
    }

    /// The stored form, with the given wrappers (the key bytes are only inside them).
    public func stored(wrappers: [KeyWrapper]) -> StoredKeySet {
        StoredKeySet(id: keySetID, created: created, activeTerm: activeTerm, terms: terms, wrappers: wrappers)
    }

    // MARK: Wrapping

    /// Encrypts the terms under a key derived from `secret` (scrypt, then HKDF for the wrapping and
    /// commitment keys), with a fresh salt and nonce.
    public func wrap(_ kind: WrapperKind, secret: String, parameters: ScryptParameters = .standard,
                     now: Date = Date()) throws -> KeyWrapper {
        try Self.wrap(try payload(), keySetID: keySetID, kind: kind, secret: secret, parameters: parameters, now: now)
    }

    /// Wraps serialized terms: the one place a wrapper is made.
    static func wrap(_ payload: Data, keySetID: String, kind: WrapperKind, secret: String, parameters: ScryptParameters,
                     now: Date) throws -> KeyWrapper {
        let salt = randomBytes(16)
        let derived = try DerivedKeys(secret: secret, salt: salt, parameters: parameters, kind: kind)
        let sealed = try AES.GCM.seal(payload, using: derived.wrapping, authenticating: wrapperAAD(keySetID, kind))
        // Whole seconds: the stored form keeps no more, and the checksum covers the stored form.
        let created = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        return KeyWrapper(kind: kind, kdf: "scrypt", parameters: parameters, salt: salt, nonce: Array(sealed.nonce),
                          wrapped: Array(sealed.ciphertext) + Array(sealed.tag),
                          commitment: derived.commitment(for: keySetID), created: created).checked(keySetID: keySetID)
    }

    /// Opens `stored` with `secret`, trying each wrapper of `kind` (during a password change there are two).
    /// The key set's shape, each wrapper's scrypt cost and its checksum are checked before any derivation:
    /// damage is reported as damage (`corruptWrapper`), a wrong password as a wrong password.
    public static func unlock(_ stored: StoredKeySet, kind: WrapperKind, secret: String) throws -> ServerKey {
        try KeySetLimits.check(stored)
        let candidates = stored.wrappers.filter { $0.kind == kind }
        guard !candidates.isEmpty else { throw VaultError.noWrapper(kind) }
        for wrapper in candidates { try wrapper.parameters.validate() }
        var damaged = false
        for wrapper in candidates {
            if let check = wrapper.check, check != wrapper.computedCheck(keySetID: stored.id) {
                damaged = true
                continue
            }
            let derived = try DerivedKeys(secret: secret, salt: wrapper.salt, parameters: wrapper.parameters, kind: kind)
            guard derived.commits(to: stored.id, wrapper.commitment) else { continue }
            // The password is right; from here on, a failure means the data was altered.
            let plain: Data
            do {
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: wrapper.nonce),
                                                ciphertext: wrapper.wrapped.dropLast(16), tag: wrapper.wrapped.suffix(16))
                plain = try AES.GCM.open(box, using: derived.wrapping, authenticating: wrapperAAD(stored.id, kind))
            } catch {
                throw VaultError.corruptWrapper(kind)
            }
            let key = try ServerKey(keySetID: stored.id, created: stored.created, payload: plain)
            guard key.terms.map(\.term) == stored.terms.map(\.term).sorted(), key.activeTerm == stored.activeTerm else {
                throw VaultError.malformed("key set (its list of terms does not match the key)")
            }
            return key
        }
        throw damaged ? VaultError.corruptWrapper(kind) : VaultError.wrongPassword(kind)
    }

    // MARK: Credential records

    /// Seals a secret for (connector, field) with the active term: version, term, nonce, ciphertext, tag.
    public func seal(_ secret: String, connector: String, field: String) throws -> [UInt8] {
        guard let key = keys[activeTerm] else { throw VaultError.unknownTerm(activeTerm) }
        let box = try AES.GCM.seal(Data(secret.utf8), using: key,
                                   authenticating: Self.recordAAD(keySetID, connector, field, activeTerm))
        return CredentialRecordFormat.header(term: activeTerm) + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    /// Opens a record sealed for (connector, field); a record edited, or copied from another connector,
    /// field or key set, fails with `tampered`.
    public func open(_ record: [UInt8], connector: String, field: String) throws -> String {
        let term = try CredentialRecordFormat.term(of: record)
        guard let key = keys[term] else { throw VaultError.unknownTerm(term) }
        let body = record.dropFirst(CredentialRecordFormat.headerSize)
        guard body.count >= 12 + 16 else { throw VaultError.tampered(connector: connector, field: field) }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: body.prefix(12)),
                                            ciphertext: body.dropFirst(12).dropLast(16), tag: body.suffix(16))
            let plain = try AES.GCM.open(box, using: key, authenticating: Self.recordAAD(keySetID, connector, field, term))
            guard let text = String(data: plain, encoding: .utf8) else { throw VaultError.tampered(connector: connector, field: field) }
            return text
        } catch {
            throw VaultError.tampered(connector: connector, field: field)
        }
    }

    // MARK: Terms

    /// Adds a term and makes it the one new secrets use; returns its number.
    @discardableResult
    public mutating func rotate(now: Date = Date()) -> Int {
        let term = (keys.keys.max() ?? 0) + 1
        keys[term] = SymmetricKey(size: .bits256)
        termCreated[term] = now
        activeTerm = term
        return term
    }

    /// Drops the terms not in `used` (never the active one); returns those dropped.
    @discardableResult
    public mutating func dropTerms(notIn used: Set<Int>) -> [Int] {
        let unused = keys.keys.filter { $0 != activeTerm && !used.contains($0) }.sorted()
        for term in unused {
            keys[term] = nil
            termCreated[term] = nil
        }
        return unused
    }

    // MARK: Internals

    private init(keySetID: String, created: Date, activeTerm: Int, keys: [Int: SymmetricKey], termCreated: [Int: Date]) {
        self.keySetID = keySetID; self.created = created; self.activeTerm = activeTerm
        self.keys = keys; self.termCreated = termCreated
    }

    /// What a wrapper encrypts: every term with its key, and which one is active.
    struct Payload: Codable {
        struct Term: Codable { var term: Int; var key: [UInt8]; var created: Date }
        var activeTerm: Int
        var terms: [Term]
    }

    private func payload() throws -> Data {
        let terms = keys.keys.sorted().map { term in
            Payload.Term(term: term, key: keys[term]!.withUnsafeBytes { Array($0) }, created: termCreated[term]!)
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(Payload(activeTerm: activeTerm, terms: terms))
    }

    /// The terms from an opened wrapper. Authenticated, but made by whoever holds the passphrase: checked
    /// like outside input (each term once, 32-byte keys) before any dictionary is built.
    private init(keySetID: String, created: Date, payload: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let decoded = try? decoder.decode(Payload.self, from: payload) else { throw VaultError.malformed("key set terms") }
        try KeySetLimits.checkTerms(decoded.terms.map(\.term), active: decoded.activeTerm, what: "key set terms")
        guard decoded.terms.allSatisfy({ $0.key.count == 32 }) else { throw VaultError.malformed("key set terms (a key of the wrong length)") }
        var keys: [Int: SymmetricKey] = [:], termCreated: [Int: Date] = [:]
        for term in decoded.terms {
            keys[term.term] = SymmetricKey(data: term.key)
            termCreated[term.term] = term.created
        }
        self.init(keySetID: keySetID, created: created, activeTerm: decoded.activeTerm, keys: keys, termCreated: termCreated)
    }

    /// The key that signs a record list for `term`: derived from the term's key, never the key itself.
    func listKey(term: Int) -> SymmetricKey? {
        keys[term].map { HKDF<SHA256>.deriveKey(inputKeyMaterial: $0, info: Data("idsync/v1/record-list/\(keySetID)".utf8),
                                                outputByteCount: 32) }
    }

    static func wrapperAAD(_ keySetID: String, _ kind: WrapperKind) -> Data {
        lengthPrefixed(["idsync-keyset-v1", keySetID, kind.rawValue])
    }

    static func recordAAD(_ keySetID: String, _ connector: String, _ field: String, _ term: Int) -> Data {
        lengthPrefixed(["idsync-credential-v1", keySetID, connector, field, String(term)])
    }
}

/// Keys derived from one password and salt: one to wrap, one to commit, never the same.
struct DerivedKeys {
    let wrapping: SymmetricKey
    private let committing: SymmetricKey

    init(secret: String, salt: [UInt8], parameters: ScryptParameters, kind: WrapperKind) throws {
        let root = try parameters.deriveRoot(secret, salt: salt)
        wrapping = HKDF<SHA256>.deriveKey(inputKeyMaterial: root, info: Data("idsync/v1/wrap/\(kind.rawValue)".utf8),
                                          outputByteCount: 32)
        committing = HKDF<SHA256>.deriveKey(inputKeyMaterial: root, info: Data("idsync/v1/commit/\(kind.rawValue)".utf8),
                                            outputByteCount: 32)
    }

    func commitment(for keySetID: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data("idsync-key-commitment-v1|\(keySetID)".utf8), using: committing))
    }

    /// Constant-time comparison.
    func commits(to keySetID: String, _ commitment: [UInt8]) -> Bool {
        HMAC<SHA256>.isValidAuthenticationCode(commitment, authenticating: Data("idsync-key-commitment-v1|\(keySetID)".utf8),
                                               using: committing)
    }
}

/// A credential record's header: format version and key term, readable without the key.
public enum CredentialRecordFormat {
    static let version: UInt8 = 1
    static let headerSize = 5

    static func header(term: Int) -> [UInt8] {
        [version] + withUnsafeBytes(of: UInt32(term).bigEndian) { Array($0) }
    }

    /// The key term a record was sealed with.
    public static func term(of record: [UInt8]) throws -> Int {
        guard record.count > headerSize, record[0] == version else { throw VaultError.malformed("credential record") }
        return Int(record[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
