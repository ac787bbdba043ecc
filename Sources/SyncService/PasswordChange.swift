import Foundation
import LDAP
import SyncConfiguration
import Vault

/// The change path Windows lacked: the service account's password is changed through idsync, and the
/// server encryption key follows it, so nothing has to be entered again.
///
/// Each step leaves a state the service can start from — with the old password or the new one, never
/// neither:
/// 1. the new password is written beside the stored one (`<password_file>.pending`, 0600);
/// 2. the key gets a second wrapper, for the new password (either password now opens it);
/// 3. the password is changed in the directory;
/// 4. the pending file replaces the stored password;
/// 5. the key is rewrapped under the new password alone.
/// A start that finds the stored password refused and a pending one accepted finishes steps 4 and 5.
public struct PasswordChange: Sendable {
    let access: KeyAccess
    var account: ServiceAccount { access.account }

    public init(access: KeyAccess) { self.access = access }

    public func run(newPassword: String) async throws {
        let current = try account.readPassword()
        guard newPassword != current else { throw ServiceError("the new password is the current one") }
        switch await account.logOn(password: current) {
        case .success: break
        case .wrongPassword:
            throw ServiceError("the stored password of \(account.account) is refused by the directory: set the current one with "
                               + "`idsync service set-account` first (or `idsync key recover` after a reset)")
        case .unavailable(let reason):
            throw ServiceError("cannot log on to verify the current password: \(reason)")
        }
        let key = try access.unlock(password: current)

        try SecureFile.write(newPassword + "\n", to: account.pendingPasswordFile)
        Failpoint.hit("change-password", step: 1)
        try access.keys.addServiceWrapper(unlockingWith: current, newPassword: newPassword)
        Failpoint.hit("change-password", step: 2)
        do {
            try await changeInDirectory(from: current, to: newPassword)
        } catch {
            // Refused (complexity, history): the directory still has the current password; undo 1 and 2.
            try? access.keys.rewrap(key: key, servicePassword: current)
            try? FileManager.default.removeItem(atPath: account.pendingPasswordFile)
            throw error
        }
        Failpoint.hit("change-password", step: 3)
        try promotePending()
        Failpoint.hit("change-password", step: 4)
        try access.keys.rewrap(key: key, servicePassword: newPassword)
        access.events.record(IDSyncEvent.keyRewrapped(account: account.account))
    }

    /// AD: the account changes its own password (unicodePwd delete old / add new over TLS).
    /// OpenLDAP: the Password Modify extended operation (RFC 3062).
    private func changeInDirectory(from current: String, to new: String) async throws {
        let connection = try await account.connect()
        defer { Task { await connection.close() } }
        do {
            try await connection.simpleBind(dn: account.account, password: current)
            switch account.logon.ldap.flavor {
            case .activeDirectory:
                try await connection.changeADPassword(userDN: try await distinguishedName(connection),
                                                      oldPassword: current, newPassword: new)
            case .openLDAP:
                try await connection.passwordModify(userDN: nil, oldPassword: current, newPassword: new)
            }
        } catch let error as LDAPError {
            throw ServiceError("the directory refused the password change of \(account.account): \(error.description)")
        }
    }

    /// The account's DN: it is one already, or the user whose UPN or sAMAccountName it is.
    private func distinguishedName(_ connection: LDAPConnection) async throws -> String {
        if account.account.contains("=") { return account.account }
        let name = account.account
        let filter = name.contains("@") ? "(userPrincipalName=\(ldapFilterEscape(name)))"
            : "(sAMAccountName=\(ldapFilterEscape(name.split(separator: "\\").last.map(String.init) ?? name)))"
        let result = try await connection.search(base: account.logon.ldap.baseDN, scope: .subtree,
                                                 filter: "(&(objectClass=user)\(filter))", attributes: ["1.1"])
        guard let dn = result.entries.first?.dn else { throw ServiceError("\(name) not found under \(account.logon.ldap.baseDN)") }
        return dn
    }

    private func promotePending() throws {
        guard rename(account.pendingPasswordFile, account.passwordFile) == 0 else {
            throw ServiceError("cannot move \(account.pendingPasswordFile) to \(account.passwordFile): \(String(cString: strerror(errno)))")
        }
    }

    /// At start: the password that logs on, finishing an interrupted change when the directory already has
    /// the pending password. Nil when neither logs on (the seed's 1069).
    func passwordThatLogsOn() async -> (password: String?, failure: ServiceAccount.LogonResult) {
        let stored: String
        do {
            stored = try account.readPassword()
        } catch {
            return (nil, .unavailable("\(error)"))
        }
        let result = await account.logOn(password: stored)
        switch result {
        case .success:
            // A change that never reached the directory: forget it.
            try? FileManager.default.removeItem(atPath: account.pendingPasswordFile)
            return (stored, result)
        case .wrongPassword:
            if let pending = account.readPendingPassword(), case .success = await account.logOn(password: pending) {
                do {
                    try promotePending()
                    return (pending, .success)
                } catch {
                    return (nil, .unavailable("\(error)"))
                }
            }
            return (nil, result)
        case .unavailable:
            return (nil, result)
        }
    }
}
