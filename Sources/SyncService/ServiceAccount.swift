import Foundation
import LDAP
import Logging
import SyncConfiguration
import SyncEngine
import Vault

/// The account the service logs on as, and where its password is kept: `service.password_file`, else
/// systemd's `$CREDENTIALS_DIRECTORY/service-account-password`. The password file is the one plaintext
/// copy idsync keeps (the role Windows gives the Service Control Manager's LSA secret), 0600.
public struct ServiceAccount: Sendable {
    public let account: String
    public let passwordFile: String
    let logon: (name: String, ldap: LDAPConnectorConfig)

    public static let systemdCredentialName = "service-account-password"

    public init(config: IDSyncConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let account = config.service.account, !account.isEmpty else {
            throw ServiceError("service.account is not set in \(config.file): the service account is what protects the server encryption key")
        }
        guard let file = config.service.passwordFile
                ?? environment["CREDENTIALS_DIRECTORY"].map({ "\($0)/\(Self.systemdCredentialName)" }) else {
            throw ServiceError("service.password_file is not set in \(config.file) (and no systemd $CREDENTIALS_DIRECTORY)")
        }
        guard let logon = config.logonConnector else { throw ServiceError("no ldap connector to log on to") }
        self.account = account
        self.passwordFile = file
        self.logon = logon
    }

    /// Where a password change keeps the new password until the change is complete.
    var pendingPasswordFile: String { passwordFile + ".pending" }

    public func readPassword() throws -> String {
        guard FileManager.default.fileExists(atPath: passwordFile) else {
            throw ServiceError("no password stored for \(account): run `idsync service set-account --account \(account)`")
        }
        return try SecretFile.read(passwordFile, what: "service account password")
    }

    public func writePassword(_ password: String) throws {
        try SecureFile.write(password + "\n", to: passwordFile)
    }

    func readPendingPassword() -> String? {
        try? SecretFile.read(pendingPasswordFile, what: "pending service account password")
    }

    public enum LogonResult: Sendable {
        case success
        /// The directory refused the password (AD: 49, data 52e): the seed's error 1069.
        case wrongPassword(String)
        /// The directory could not be asked (unreachable, TLS): not a password problem.
        case unavailable(String)
    }

    /// Logs on: a simple bind as the account to the logon connector's directory, over its TLS settings.
    public func logOn(password: String) async -> LogonResult {
        do {
            try await connect().closing { try await $0.simpleBind(dn: account, password: password) }
            return .success
        } catch let error as LDAPError where error.isInvalidCredentials {
            return .wrongPassword(error.description)
        } catch {
            return .unavailable("\(logon.name): \(error)")
        }
    }

    /// Connects to the logon connector's directory for a bind with the service account's password: refused,
    /// before anything is sent, over plain ldap:// unless the connector allows it for a lab.
    func connect() async throws -> LDAPConnection {
        if let refusal = logon.ldap.plaintextBindRefusal { throw ServiceError("\(logon.name): \(refusal)") }
        if !logon.ldap.bindsOverTLS {
            Logger(label: "idsync").warning("\(LDAPConnectorConfig.plaintextBindWarning)", metadata: ["connector": "\(logon.name)"])
        }
        return try await LDAPConnection.connect(logon.ldap.connectionOptions)
    }
}

public struct ServiceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
