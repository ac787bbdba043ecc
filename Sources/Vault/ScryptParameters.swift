import Crypto
import CryptoExtras
import Foundation

/// scrypt's cost parameters, stored beside every wrapper so a stronger setting never orphans an old one.
public struct ScryptParameters: Codable, Sendable, Equatable {
    /// log2 of N, the CPU/memory cost.
    public var logN: Int
    public var r: Int
    public var p: Int

    public init(logN: Int, r: Int, p: Int) { self.logN = logN; self.r = r; self.p = p }

    /// OWASP's recommendation, N = 2^17, r = 8, p = 1: 128 MiB and 0.23 s per derivation on the project's
    /// reference machine (2 cores, measured with a release build; 2^15 took only 0.06 s there), inside the
    /// 0.5 s the project allows for unlocking at start.
    public static let standard = ScryptParameters(logN: 17, r: 8, p: 1)

    /// Only for tests that create many wrappers; never written by the CLI.
    public static let testing = ScryptParameters(logN: 10, r: 8, p: 1)

    /// The most memory one derivation may take (scrypt's V array, 128·r·N bytes): 1 GiB, 8 times the standard.
    public static let maxMemory = 1 << 30
    /// The most work one derivation may take, in units of 128-byte block mixes (N·r·p): 8 times the
    /// standard setting, about 2 s on the reference machine. A wrapper asking for more was not written by
    /// idsync; refusing it before any work keeps a hostile key file from holding the process for minutes.
    public static let maxWork = 8 * (1 << 17) * 8

    /// Refuses parameters a tampered file could use to make unlocking hang or exhaust memory. Each factor
    /// is range-checked before any product is formed, so no value can overflow.
    func validate() throws {
        guard (10...23).contains(logN), (1...32).contains(r), (1...16).contains(p),
              128 * r * (1 << logN) <= Self.maxMemory, (1 << logN) * r * p <= Self.maxWork else {
            throw VaultError.kdfOutOfBounds(logN: logN, r: r, p: p)
        }
    }

    /// The 32-byte root key for `secret` and `salt`.
    func deriveRoot(_ secret: String, salt: [UInt8]) throws -> SymmetricKey {
        try validate()
        let memory = 128 * r * (1 << logN) + 128 * r * p + (1 << 20)
        return try KDF.Scrypt.deriveKey(from: Array(secret.utf8), salt: salt, outputByteCount: 32,
                                        rounds: 1 << logN, blockSize: r, parallelism: p, maxMemory: memory * 2)
    }
}
