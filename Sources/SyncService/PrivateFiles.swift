import Foundation
import SyncConfiguration
#if canImport(Glibc)
import Glibc
#endif

/// The database and the secret files must be readable by idsync's user alone. One that group or others
/// can read is refused, as ssh refuses a private key others can read: a secret that already leaked to other
/// accounts is not made worse by idsync carrying on, but the admin must learn of it.
public enum PrivateFiles {
    /// The database (with its WAL and shared-memory files) and every secret file the configuration names.
    /// Files that do not exist yet are skipped: the database is created 0600, and a missing secret file is
    /// reported where it is read.
    public static func check(_ config: IDSyncConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for suffix in ["", "-wal", "-shm"] { try check(config.database + suffix, what: "the database", secret: false) }
        if let file = config.service.passwordFile ?? environment["CREDENTIALS_DIRECTORY"].map({ "\($0)/\(ServiceAccount.systemdCredentialName)" }) {
            try check(file, what: "the service account's password file (service.password_file)")
            try check(file + ".pending", what: "the service account's new password, kept during a password change")
        }
        for (index, connector) in config.connectors.enumerated() {
            switch connector.kind {
            case .ldap(let ldap):
                if let file = ldap.passwordFile { try check(file, what: "connector \(connector.name)'s password file (connectors[\(index)].password_file)") }
            case .scim(let scim):
                if case .bearer(let file?) = scim.auth { try check(file, what: "connector \(connector.name)'s token file (connectors[\(index)].auth.token_file)") }
            }
        }
    }

    /// Throws when `path` exists and its mode lets group or others read or write it.
    public static func check(_ path: String, what: String, secret: Bool = true) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return }
            throw ServiceError("cannot check the permissions of \(path) (\(what)): \(String(cString: strerror(errno)))")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 != 0 else { return }
        throw ServiceError("refused: \(path) (\(what)) is accessible by group or others (mode \(String(mode, radix: 8, uppercase: false).leftPadded(to: 4))); "
                           + "it must be readable by idsync's user alone. Fix it with `chmod 600 \(path)`"
                           + (secret ? ", and change the secret if others may have read it" : ""))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
