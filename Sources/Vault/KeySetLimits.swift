/// The shape every key set must have before anything is derived, decrypted or put in a dictionary: a key
/// file or a database row is outside input, and a wrong count or length must be an error, never a trap
/// or an unbounded amount of work.
public enum KeySetLimits {
    /// A password change holds two service-account wrappers; an export one. Each costs a derivation to try.
    public static let maxWrappers = 4
    /// A rotation without --reencrypt keeps the terms records still use.
    public static let maxTerms = 256
    /// Term numbers fit the record header's 32 bits with room to spare.
    public static let maxTermNumber = 1 << 24
    public static let maxRecords = 10_000
    /// A serialized payload of `maxTerms` terms is about 50 KB.
    public static let maxWrappedBytes = 128 * 1024
    /// The JSON of a key set or key file; its byte arrays are written as numbers (up to 4 characters each).
    public static let maxEncodedBytes = 4 * 1024 * 1024

    /// Throws `malformed` naming the first rule `stored` breaks.
    public static func check(_ stored: StoredKeySet) throws {
        guard (1...64).contains(stored.id.utf8.count), stored.id.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw VaultError.malformed("key set (its id)")
        }
        try checkTerms(stored.terms.map(\.term), active: stored.activeTerm, what: "key set")
        guard (1...maxWrappers).contains(stored.wrappers.count) else {
            throw VaultError.malformed("key set (\(stored.wrappers.count) wrappers; 1 to \(maxWrappers) allowed)")
        }
        for wrapper in stored.wrappers {
            guard wrapper.kdf == "scrypt", wrapper.salt.count == 16, wrapper.nonce.count == 12,
                  (17...maxWrappedBytes).contains(wrapper.wrapped.count), wrapper.commitment.count == 32,
                  wrapper.check.map({ $0.count == 32 }) ?? true else {
                throw VaultError.malformed("\(wrapper.kind.rawValue) wrapper (a field has the wrong length, or an unknown KDF)")
            }
        }
        if let list = stored.records { try checkList(list) }
    }

    /// Term numbers: each once, in range, at most `maxTerms`, the active one among them.
    static func checkTerms(_ terms: [Int], active: Int, what: String) throws {
        guard (1...maxTerms).contains(terms.count) else {
            throw VaultError.malformed("\(what) (\(terms.count) terms; 1 to \(maxTerms) allowed)")
        }
        guard terms.allSatisfy({ (1...maxTermNumber).contains($0) }) else { throw VaultError.malformed("\(what) (a term number out of range)") }
        var seen = Set<Int>()
        for term in terms where !seen.insert(term).inserted {
            throw VaultError.malformed("\(what) (term \(term) listed twice)")
        }
        guard seen.contains(active) else { throw VaultError.malformed("\(what) (active term \(active) is not among its terms)") }
    }

    static func checkList(_ list: RecordList) throws {
        guard list.entries.count <= maxRecords, (1...maxTermNumber).contains(list.term), list.generation >= 0,
              list.mac.count == 32, list.entries.allSatisfy({ $0.digest.count == 32 }) else {
            throw VaultError.malformed("list of stored secrets")
        }
        var seen = Set<String>()
        for entry in list.entries where !seen.insert(entry.connector + "\u{0}" + entry.field).inserted {
            throw VaultError.malformed("list of stored secrets (\(entry.connector) \(entry.field) listed twice)")
        }
    }
}
