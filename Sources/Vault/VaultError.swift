/// Why the vault could not do what was asked. Messages never contain key material or secrets.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No server encryption key has been created yet.
    case noKeySet
    /// The key set has no wrapper of this kind (e.g. no export wrapper in a key file).
    case noWrapper(WrapperKind)
    /// The password (or passphrase) does not open the wrapper: its key commitment does not match.
    case wrongPassword(WrapperKind)
    /// The wrapper's fields do not match their checksum, or its commitment matches but its ciphertext does
    /// not open: the stored key was altered or damaged.
    case corruptWrapper(WrapperKind)
    /// A wrapper asks for more scrypt memory or work than idsync ever uses; refused before any work.
    case kdfOutOfBounds(logN: Int, r: Int, p: Int)
    /// A stored value could not be decoded at all, or breaks the format's limits.
    case malformed(String)
    /// A credential record fails authentication: edited, moved to another connector or field, or replaced
    /// by another (older) record of the same connector and field.
    case tampered(connector: String, field: String)
    /// The authenticated list of stored records fails its check: the vault's tables were altered.
    case recordListTampered
    /// A credential record names a key term the key set no longer has.
    case unknownTerm(Int)
    /// A key file belongs to another key set than expected.
    case keySetMismatch(expected: String, found: String)
    /// A key file of this key set taken before a rotation: importing it would drop `missing` terms
    /// (`used` of them sealing stored secrets) or move the active term back.
    case staleKeyFile(missing: [Int], used: [Int], fileActive: Int, storeActive: Int)
    /// A rotation would leave more terms than a key set may hold.
    case tooManyTerms(Int)

    public var description: String {
        switch self {
        case .noKeySet: "no server encryption key exists yet"
        case .noWrapper(let kind): "the key set has no \(kind.rawValue) wrapper"
        case .wrongPassword(.serviceAccount): "the service account's password does not unlock the server encryption key"
        case .wrongPassword(.export): "the passphrase does not unlock the exported key"
        case .corruptWrapper(let kind): "the stored key (\(kind.rawValue) wrapper) is corrupt: its data was altered or damaged"
        case .kdfOutOfBounds(let logN, let r, let p):
            "the key's scrypt parameters N=2^\(logN) r=\(r) p=\(p) exceed idsync's bounds (at most 1 GiB and 8 times the "
                + "standard work): refused without trying them"
        case .malformed(let what): "unreadable \(what)"
        case .tampered(let connector, let field):
            "the stored \(field) of connector \(connector) fails its integrity check: it was altered, moved from elsewhere "
                + "or replaced by an older copy"
        case .recordListTampered:
            "the vault's list of stored secrets fails its integrity check: the database was altered"
        case .unknownTerm(let term): "a record names key term \(term), which the key set does not have"
        case .keySetMismatch(let expected, let found): "the key file holds key set \(found), not \(expected)"
        case .staleKeyFile(let missing, let used, let fileActive, let storeActive):
            "the key file is older than the key set in the database (active term \(fileActive), the database's is \(storeActive))"
                + (missing.isEmpty ? "" : "; it lacks term\(missing.count == 1 ? "" : "s") \(list(missing))")
                + (used.isEmpty ? "" : ", which stored secrets use")
                + ": export the key again after its last rotation"
        case .tooManyTerms(let count):
            "a key set holds at most \(KeySetLimits.maxTerms) terms (this rotation would make \(count)): rotate with --reencrypt"
        }
    }
}

private func list(_ terms: [Int]) -> String { terms.map(String.init).joined(separator: ", ") }
