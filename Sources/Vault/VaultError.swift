/// Why the vault could not do what was asked. Messages never contain key material or secrets.
public enum VaultError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No server encryption key has been created yet.
    case noKeySet
    /// The key set has no wrapper of this kind (e.g. no export wrapper in a key file).
    case noWrapper(WrapperKind)
    /// The password (or passphrase) does not open the wrapper: its key commitment does not match.
    case wrongPassword(WrapperKind)
    /// The wrapper's commitment matches but its ciphertext does not open: the stored key was altered.
    case corruptWrapper(WrapperKind)
    /// A stored value could not be decoded at all.
    case malformed(String)
    /// A credential record fails authentication: edited, or moved to another connector or field.
    case tampered(connector: String, field: String)
    /// A credential record names a key term the key set no longer has.
    case unknownTerm(Int)
    /// A key file belongs to another key set than expected.
    case keySetMismatch(expected: String, found: String)

    public var description: String {
        switch self {
        case .noKeySet: "no server encryption key exists yet"
        case .noWrapper(let kind): "the key set has no \(kind.rawValue) wrapper"
        case .wrongPassword(.serviceAccount): "the service account's password does not unlock the server encryption key"
        case .wrongPassword(.export): "the passphrase does not unlock the exported key"
        case .corruptWrapper(let kind): "the stored key (\(kind.rawValue) wrapper) is corrupt: its password is right but the data was altered"
        case .malformed(let what): "unreadable \(what)"
        case .tampered(let connector, let field):
            "the stored \(field) of connector \(connector) fails its integrity check: it was altered or moved from elsewhere"
        case .unknownTerm(let term): "a record names key term \(term), which the key set does not have"
        case .keySetMismatch(let expected, let found): "the key file holds key set \(found), not \(expected)"
        }
    }
}
