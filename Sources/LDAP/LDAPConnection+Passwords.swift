extension LDAPConnection {
    /// The Password Modify extended operation (RFC 3062), as OpenLDAP implements it.
    ///
    /// - Parameters:
    ///   - userDN: whose password; `nil` for the bound identity.
    ///   - oldPassword: required by most servers when users change their own; `nil` for an administrator's set.
    public func passwordModify(userDN: String?, oldPassword: String?, newPassword: String) async throws {
        try await handle.passwordModify(userDN: userDN, oldPassword: oldPassword, newPassword: newPassword)
    }

    /// A user's own password change in Active Directory: one modify that deletes the old `unicodePwd` and adds
    /// the new one, which AD treats as a change (checked against the old password and the history policy)
    /// rather than a reset. Requires an encrypted connection and, normally, being bound as that user.
    public func changeADPassword(userDN: String, oldPassword: String, newPassword: String) async throws {
        try await handle.modify(dn: userDN, [
            LDAPModification(.delete, "unicodePwd", [ActiveDirectory.unicodePwd(oldPassword)]),
            LDAPModification(.add, "unicodePwd", [ActiveDirectory.unicodePwd(newPassword)]),
        ], operation: "password change")
    }

    /// An administrative password reset in Active Directory: replaces `unicodePwd` without knowing the old one.
    /// Requires an encrypted connection and the Reset Password right on the user.
    public func resetADPassword(userDN: String, newPassword: String) async throws {
        try await handle.modify(dn: userDN, [
            LDAPModification(.replace, "unicodePwd", [ActiveDirectory.unicodePwd(newPassword)]),
        ], operation: "password reset")
    }
}
