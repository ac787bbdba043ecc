/// Where each connector's secret comes from: the file the configuration names (for admins who keep
/// secrets in systemd credentials or files), else idsync's vault.
public struct ConnectorSecrets: Sendable {
    /// The secret stored in the vault for (connector, field), nil when none is stored. Throws when the
    /// vault cannot be opened or the record cannot be used.
    public typealias VaultLookup = @Sendable (_ connector: String, _ field: String) throws -> String?

    private let vault: VaultLookup?

    /// `vault` nil: only files (no vault configured or wanted).
    public init(vault: VaultLookup?) { self.vault = vault }

    /// `hint`: how to store the secret when it is missing (default: `idsync connector set-password`).
    public func secret(connector: String, field: String, file: String?, hint: String? = nil) throws -> String {
        let hint = hint ?? "enter it with `idsync connector set-password \(connector)`"
        if let file {
            do {
                return try SecretFile.read(file, what: field)
            } catch {
                throw ConnectorError(connector: connector, "\(error)")
            }
        }
        guard let vault else {
            throw ConnectorError(connector: connector, "no \(field): configure a file for it or store it with "
                                 + "`idsync connector set-password \(connector)` (which needs service.account)")
        }
        do {
            if let secret = try vault(connector, field) { return secret }
        } catch let error as ConnectorError {
            throw error
        } catch {
            throw ConnectorError(connector: connector, "\(error)")
        }
        throw ConnectorError(connector: connector, "no \(field) is stored: \(hint)")
    }
}
