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
        let salt = randomBytes(16)
        let derived = try DerivedKeys(secret: secret, salt: salt, parameters: parameters, kind: kind)
        let sealed = try AES.GCM.seal(try payload(), using: derived.wrapping,
                                      authenticating: Self.wrapperAAD(keySetID, kind))
        return KeyWrapper(kind: kind, kdf: "scrypt", parameters: parameters, salt: salt, nonce: Array(sealed.nonce),
                          wrapped: Array(sealed.ciphertext) + Array(sealed.tag),
                          commitment: derived.commitment(for: keySetID), created: now)
    }

    /// Opens `stored` with `secret`, trying each wrapper of `kind` (during a password change there are two).
    public static func unlock(_ stored: StoredKeySet, kind: WrapperKind, secret: String) throws -> ServerKey {
        let candidates = stored.wrappers.filter { $0.kind == kind }
        guard !candidates.isEmpty else { throw VaultError.noWrapper(kind) }
        for wrapper in candidates {
            guard wrapper.kdf == "scrypt", wrapper.salt.count == 16, wrapper.nonce.count == 12, wrapper.wrapped.count > 16 else {
                throw VaultError.malformed("\(kind.rawValue) wrapper")
            }
            let derived = try DerivedKeys(secret: secret, salt: wrapper.salt, parameters: wrapper.parameters, kind: kind)
            guard derived.commits(to: stored.id, wrapper.commitment) else { continue }
            // The password is right; from here on, a failure means the data was altered.
            do {
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: wrapper.nonce),
                                                ciphertext: wrapper.wrapped.dropLast(16), tag: wrapper.wrapped.suffix(16))
                let plain = try AES.GCM.open(box, using: derived.wrapping, authenticating: wrapperAAD(stored.id, kind))
                return try ServerKey(keySetID: stored.id, created: stored.created, payload: plain)
            } catch {
                throw VaultError.corruptWrapper(kind)
            }
        }
        throw VaultError.wrongPassword(kind)
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
    private struct Payload: Codable {
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

    private init(keySetID: String, created: Date, payload: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(Payload.self, from: payload)
        guard decoded.terms.contains(where: { $0.term == decoded.activeTerm }),
              decoded.terms.allSatisfy({ $0.key.count == 32 }) else {
            throw VaultError.malformed("key set terms")
        }
        self.init(keySetID: keySetID, created: created, activeTerm: decoded.activeTerm,
                  keys: Dictionary(uniqueKeysWithValues: decoded.terms.map { ($0.term, SymmetricKey(data: $0.key)) }),
                  termCreated: Dictionary(uniqueKeysWithValues: decoded.terms.map { ($0.term, $0.created) }))
    }

    static func wrapperAAD(_ keySetID: String, _ kind: WrapperKind) -> Data {
        lengthPrefixed(["idsync-keyset-v1", keySetID, kind.rawValue])
    }

    static func recordAAD(_ keySetID: String, _ connector: String, _ field: String, _ term: Int) -> Data {
        lengthPrefixed(["idsync-credential-v1", keySetID, connector, field, String(term)])
    }
}

/// Keys derived from one password and salt: one to wrap, one to commit, never the same.
private struct DerivedKeys {
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

/// Each part preceded by its length, so ("a|b", "c") and ("a", "b|c") never authenticate alike.
private func lengthPrefixed(_ parts: [String]) -> Data {
    var data = Data()
    for part in parts {
        let bytes = Array(part.utf8)
        data.append(contentsOf: withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) })
        data.append(contentsOf: bytes)
    }
    return data
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}
