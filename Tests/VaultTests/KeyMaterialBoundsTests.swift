import Foundation
import Testing
@testable import Vault

/// Key files and stored key sets are outside input: duplicate terms, wrong lengths, too many wrappers or
/// terms, bad JSON and hostile scrypt costs are errors, found before any work — never a trap.
@Suite("Key material: bounds and malformed input")
struct KeyMaterialBoundsTests {
    static let key = ServerKey.generate()
    static let passphrase = "export passphrase"

    static func exportFile(_ edit: (inout StoredKeySet) -> Void = { _ in }) throws -> Data {
        var set = key.stored(wrappers: [try key.wrap(.export, secret: passphrase, parameters: .testing)])
        edit(&set)
        return try KeyFile(keySet: set).encoded()
    }

    /// The peak resident memory of this process so far, in bytes.
    static func peakMemory() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test func hugeScryptParametersAreRefusedAtOnce() throws {
        let hostile: [ScryptParameters] = [
            .init(logN: 22, r: 32, p: 16),   // the file: 16 GiB
            .init(logN: 21, r: 8, p: 1),     // 2 GiB
            .init(logN: 17, r: 8, p: 16),    // 128 MiB but 16 times the work
            .init(logN: 64, r: 1, p: 1), .init(logN: 10, r: Int.max, p: 1), .init(logN: -1, r: 8, p: 1),
        ]
        for parameters in hostile {
            let file = try Self.exportFile { $0.wrappers[0].parameters = parameters }
            // Also when the check is skipped and the stored set is opened directly.
            var set = try KeyFile.decode(try Self.exportFile()).keySet
            set.wrappers[0].parameters = parameters
            // Timed: only the two refusals, which do no key derivation (the files above were made with one).
            let memory = Self.peakMemory(), clock = ContinuousClock(), start = clock.now
            #expect(throws: VaultError.kdfOutOfBounds(logN: parameters.logN, r: parameters.r, p: parameters.p)) {
                try KeyFile.decode(file)
            }
            #expect(throws: VaultError.kdfOutOfBounds(logN: parameters.logN, r: parameters.r, p: parameters.p)) {
                try ServerKey.unlock(set, kind: .export, secret: Self.passphrase)
            }
            let elapsed = clock.now - start
            #expect(elapsed < .seconds(1), "N=2^\(parameters.logN) r=\(parameters.r) p=\(parameters.p) took \(elapsed)")
            #expect(Self.peakMemory() - memory < 200 << 20, "N=2^\(parameters.logN): the peak memory grew")
        }
        // The largest setting inside the bounds is still allowed (1 GiB, 8 times the standard work).
        try ScryptParameters(logN: 20, r: 8, p: 1).validate()
        try ScryptParameters(logN: 17, r: 8, p: 8).validate()
    }

    @Test func duplicateTermsInTheListingAreRefused() throws {
        let file = try Self.exportFile { $0.terms.append($0.terms[0]) }
        #expect(throws: VaultError.malformed("key set (term 1 listed twice)")) { try KeyFile.decode(file) }
    }

    @Test func duplicateTermsInsideTheWrappedKeyAreRefused() throws {
        // Made by whoever holds the passphrase: authenticated, but still not trusted to be well formed.
        let term = ServerKey.Payload.Term(term: 1, key: Array(repeating: 7, count: 32), created: Date())
        for terms in [[term, term], [ServerKey.Payload.Term(term: 1, key: [1, 2, 3], created: Date())]] {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let payload = try encoder.encode(ServerKey.Payload(activeTerm: 1, terms: terms))
            let wrapper = try ServerKey.wrap(payload, keySetID: Self.key.keySetID, kind: .export, secret: Self.passphrase,
                                             parameters: .testing, now: Date())
            let file = try Self.exportFile { $0.wrappers = [wrapper] }
            let decoded = try KeyFile.decode(file)
            #expect(throws: VaultError.self) { try ServerKey.unlock(decoded.keySet, kind: .export, secret: Self.passphrase) }
        }
    }

    @Test func wrongLengthsAndCountsAreRefused() throws {
        let edits: [(String, (inout StoredKeySet) -> Void)] = [
            ("short salt", { $0.wrappers[0].salt.removeLast() }),
            ("long nonce", { $0.wrappers[0].nonce.append(0) }),
            ("short commitment", { $0.wrappers[0].commitment.removeLast() }),
            ("short ciphertext", { $0.wrappers[0].wrapped = Array($0.wrappers[0].wrapped.prefix(16)) }),
            ("short checksum", { $0.wrappers[0].check?.removeLast() }),
            ("five wrappers", { $0.wrappers = Array(repeating: $0.wrappers[0], count: 5) }),
            ("no wrapper", { $0.wrappers = [] }),
            ("no terms", { $0.terms = [] }),
            ("257 terms", { set in set.terms = (1...257).map { TermInfo(term: $0, created: set.created) } }),
            ("term 0", { $0.terms[0].term = 0 }),
            ("active term absent", { $0.activeTerm = 9 }),
            ("empty id", { $0.id = "" }),
            ("id with a newline", { $0.id += "\n" }),
        ]
        for (what, edit) in edits {
            #expect(throws: VaultError.self, "\(what)") { try KeyFile.decode(try Self.exportFile(edit)) }
        }
    }

    @Test func badJSONIsRefused() throws {
        let valid = String(decoding: try Self.exportFile(), as: UTF8.self)
        let bad = ["", "{", "null", "[]", "{\"format\":\"idsync-key-export-v1\"}", valid.replacingOccurrences(of: "\"salt\" : [", with: "\"salt\" : [300,"),
                   valid.replacingOccurrences(of: "idsync-key-export-v1", with: "idsync-key-export-v9"),
                   String(repeating: "[", count: 100_000)]
        for text in bad {
            #expect(throws: VaultError.self) { try KeyFile.decode(Data(text.utf8)) }
        }
        #expect(throws: VaultError.self) { try KeyFile.decode(Data(count: KeySetLimits.maxEncodedBytes + 1)) }
        #expect(throws: VaultError.self) { try StoredKeySet.decode(Data("{\"id\":1}".utf8)) }
    }
}
