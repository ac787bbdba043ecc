import Foundation

/// What protects a wrapper: the service account's password (the seed's DPAPI protection) or an export
/// passphrase (a key file for a standby server or disaster recovery).
public enum WrapperKind: String, Codable, Sendable, CaseIterable {
    case serviceAccount = "service-account"
    case export
}

/// The server key's terms encrypted under a key derived from a password. Stored; holds no usable key
/// material without the password.
public struct KeyWrapper: Codable, Sendable, Equatable {
    public var kind: WrapperKind
    public var kdf: String
    public var parameters: ScryptParameters
    public var salt: [UInt8]
    public var nonce: [UInt8]
    /// AES-256-GCM ciphertext and tag of the serialized terms.
    public var wrapped: [UInt8]
    /// HMAC of the key set id under a key derived from the password: tells a wrong password from altered
    /// data without trying to decrypt.
    public var commitment: [UInt8]
    public var created: Date
}

/// One key term as listed without unlocking: its number and age.
public struct TermInfo: Codable, Sendable, Equatable {
    public var term: Int
    public var created: Date
}

/// The server encryption key as stored: id, terms, and the wrappers that protect them.
public struct StoredKeySet: Codable, Sendable, Equatable {
    public var id: String
    public var created: Date
    /// The term new secrets are encrypted with.
    public var activeTerm: Int
    public var terms: [TermInfo]
    public var wrappers: [KeyWrapper]

    public func wrapper(_ kind: WrapperKind) -> KeyWrapper? { wrappers.first { $0.kind == kind } }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)) ?? Data()
    }

    public static func decode(_ data: Data) throws -> StoredKeySet {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(StoredKeySet.self, from: data)
        } catch {
            throw VaultError.malformed("key set record")
        }
    }
}
