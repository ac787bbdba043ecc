import Crypto
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
    /// SHA-256 over every other field and the key set id. It needs no password, so damage to any field
    /// (a salt or a parameter that would otherwise only look like a wrong password) is reported as damage
    /// before any scrypt work. Absent in wrappers written before it existed; added on their first unlock.
    public var check: [UInt8]?

    /// The checksum of this wrapper's fields in key set `keySetID`.
    func computedCheck(keySetID: String) -> [UInt8] {
        let fields = ["idsync-wrapper-check-v1", keySetID, kind.rawValue, kdf,
                      "\(parameters.logN) \(parameters.r) \(parameters.p)", hex(salt), hex(nonce), hex(wrapped),
                      hex(commitment), String(Int64(created.timeIntervalSince1970.rounded(.down)))]
        return Array(SHA256.hash(data: lengthPrefixed(fields)))
    }

    func checked(keySetID: String) -> KeyWrapper {
        var wrapper = self
        wrapper.check = computedCheck(keySetID: keySetID)
        return wrapper
    }
}

/// One key term as listed without unlocking: its number and age.
public struct TermInfo: Codable, Sendable, Equatable {
    public var term: Int
    public var created: Date
}

/// The server encryption key as stored: id, terms, the wrappers that protect them, and the authenticated
/// list of the credential records sealed under it.
public struct StoredKeySet: Codable, Sendable, Equatable {
    public var id: String
    public var created: Date
    /// The term new secrets are encrypted with.
    public var activeTerm: Int
    public var terms: [TermInfo]
    public var wrappers: [KeyWrapper]
    /// Absent in a key file, and in a vault written before the list existed (built on its first unlock).
    public var records: RecordList?

    public func wrapper(_ kind: WrapperKind) -> KeyWrapper? { wrappers.first { $0.kind == kind } }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(self)) ?? Data()
    }

    /// Decodes and checks the stored key set against `KeySetLimits` before anything uses it.
    public static func decode(_ data: Data) throws -> StoredKeySet {
        guard data.count <= KeySetLimits.maxEncodedBytes else { throw VaultError.malformed("key set record (too large)") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let stored: StoredKeySet
        do {
            stored = try decoder.decode(StoredKeySet.self, from: data)
        } catch {
            throw VaultError.malformed("key set record")
        }
        try KeySetLimits.check(stored)
        return stored
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]] }
    return String(decoding: text, as: UTF8.self)
}

/// Each part preceded by its length, so ("a|b", "c") and ("a", "b|c") never authenticate alike.
func lengthPrefixed(_ parts: [String]) -> Data {
    var data = Data()
    for part in parts {
        let bytes = Array(part.utf8)
        data.append(contentsOf: withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) })
        data.append(contentsOf: bytes)
    }
    return data
}
