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
/// A start that finds the stored password refused and a pending one accepted finishes steps 4 and 5; so
/// does a second run of the change, which first settles what an interrupted one left.
///
/// Step 3 can fail after the directory applied the change (the answer was lost on the way back): the
/// directory is then asked which password it has — the new one: steps 4 and 5 follow; the old one: 1 and 2
/// are undone; no answer: both wrappers and the pending file stay, so either password opens the key and
/// the next start (or run of the change) settles it.
///
/// The caller holds `PasswordChangeLock` for the whole change: the service does not start meanwhile.
public struct PasswordChange: Sendable {
    let access: KeyAccess
    var account: ServiceAccount { access.account }

    public init(access: KeyAccess) { self.access = access }

    public func run(newPassword: String) async throws {
        let (settled, logon) = await passwordThatLogsOn()
        guard let current = settled else {
            switch logon {
            case .wrongPassword:
                throw ServiceError("the stored password of \(account.account) is refused by the directory: set the current one with "
                                   + "`idsync service set-account` first (or `idsync key recover` after a reset)")
            case .unavailable(let reason):
                throw ServiceError("cannot log on to verify the current password: \(reason)")
            case .success:
                throw ServiceError("cannot log on to verify the current password")
            }
        }
        guard newPassword != current else { throw ServiceError("the new password is the current one") }
        let key = try access.unlock(password: current)
        // A change interrupted earlier left a second wrapper: the key starts from the current password alone.
        if try serviceWrappers() > 1 { try access.keys.rewrap(key: key, servicePassword: current) }

        try SecureFile.write(newPassword + "\n", to: account.pendingPasswordFile)
        Failpoint.hit("change-password", step: 1)
        try access.keys.addServiceWrapper(unlockingWith: current, newPassword: newPassword)
        Failpoint.hit("change-password", step: 2)
        do {
            try await changeInDirectory(from: current, to: newPassword)
        } catch {
            switch await directoryOutcome(current: current, new: newPassword) {
            case .applied:
                break    // only the answer was lost: finish the change
            case .notApplied:
                try undo(key: key, current: current, after: error)
                throw error
            case .unknown(let reason):
                throw ServiceError("\(error); whether the directory changed the password is unknown (\(reason)). Both the old and "
                                   + "the new password open the server encryption key: the service's next start, or running "
                                   + "`idsync service change-password` again, keeps the one the directory has")
            }
        }
        Failpoint.hit("change-password", step: 3)
        try promotePending()
        Failpoint.hit("change-password", step: 4)
        try access.keys.rewrap(key: key, servicePassword: newPassword)
        access.events.record(IDSyncEvent.keyRewrapped(account: account.account))
    }

    private func serviceWrappers() throws -> Int {
        try access.keys.storedKeySet()?.wrappers.filter { $0.kind == .serviceAccount }.count ?? 0
    }

    enum DirectoryOutcome { case applied, notApplied, unknown(String) }

    /// After a failed step 3: which password the directory has now, by logging on with each.
    private func directoryOutcome(current: String, new: String) async -> DirectoryOutcome {
        switch await account.logOn(password: new) {
        case .success: return .applied
        case .unavailable(let reason): return .unknown(reason)
        case .wrongPassword:
            switch await account.logOn(password: current) {
            case .success: return .notApplied
            case .unavailable(let reason): return .unknown(reason)
            case .wrongPassword: return .unknown("the directory refuses both the old and the new password")
            }
        }
    }

    /// The directory refused the change and still has the current password: steps 1 and 2 are undone. If
    /// that fails, either password still opens the key and the next start drops what is left.
    private func undo(key: ServerKey, current: String, after refusal: Error) throws {
        do {
            try access.keys.rewrap(key: key, servicePassword: current)
            try FileManager.default.removeItem(atPath: account.pendingPasswordFile)
        } catch {
            throw ServiceError("\(refusal); undoing the change's first steps failed too (\(error)): the service's next start "
                               + "drops them")
        }
    }

    /// AD: the account changes its own password (unicodePwd delete old / add new over TLS).
    /// OpenLDAP: the Password Modify extended operation (RFC 3062).
    private func changeInDirectory(from current: String, to new: String) async throws {
        let connection = try await account.connect()
        do {
            try await connection.closing { connection in
                try await connection.simpleBind(dn: account.account, password: current)
                switch account.logon.ldap.flavor {
                case .activeDirectory:
                    try await connection.changeADPassword(userDN: try await distinguishedName(connection),
                                                          oldPassword: current, newPassword: new)
                case .openLDAP:
                    try await connection.passwordModify(userDN: nil, oldPassword: current, newPassword: new)
                }
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
