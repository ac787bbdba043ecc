internal import CLDAP

/// A failed LDAP operation: what the server (or libldap, for local failures) said, and what was being done.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    /// The LDAP result code (RFC 4511 §4.1.9, positive) or libldap's API error (negative, e.g. -1 server down).
    public let code: Int32
    /// libldap's text for `code` (`ldap_err2string`).
    public let message: String
    /// What the server, libldap or this module added: Active Directory's `80090308: LdapErr: … data 52e`,
    /// "TLS certificate rejected: …" for a certificate that failed verification.
    public let diagnostic: String?
    /// The operation that failed: "connect", "starttls", "bind", "search", "add", "modify"…
    public let operation: String

    public init(code: Int32, diagnostic: String?, operation: String) {
        self.code = code
        self.message = String(cString: ldap_err2string(code))
        self.diagnostic = diagnostic.flatMap { $0.isEmpty ? nil : $0 }
        self.operation = operation
    }

    /// The server rejected the credentials of a bind (result code 49). Active Directory tells the reason in the
    /// diagnostic: data 52e wrong password, 525 no such user, 530/531 logon hours/workstation, 532 expired
    /// password, 533 disabled, 701 expired account, 773 must change password, 775 locked out.
    public var isInvalidCredentials: Bool { code == LDAP_INVALID_CREDENTIALS }

    /// The entry named in the request does not exist (result code 32).
    public var isNoSuchObject: Bool { code == LDAP_NO_SUCH_OBJECT }

    /// A syncrepl refresh could not use its cookie (e-syncRefreshRequired, 4096, RFC 4533 §3.3.2): the server
    /// no longer knows the state it describes, or did not recognise it. Refresh again without a cookie,
    /// which names the whole content, and delete whatever it does not name.
    public var isSyncRefreshRequired: Bool { code == LDAP_SYNC_REFRESH_REQUIRED }

    /// The server could not be reached, the connection broke, or it did not answer in time: a reason to
    /// reconnect (or try another server) rather than to give up on the request. libldap reports a rejected
    /// TLS certificate with the same codes; ``diagnostic`` then starts with "TLS certificate rejected".
    public var isServerDown: Bool {
        code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT
    }

    /// One line, e.g. `bind failed: Invalid credentials (49): 80090308: LdapErr: DSID-0C09042A, … data 52e, v3839`.
    /// Built only from the code and the server's diagnostic, so it never contains a password.
    public var description: String {
        var text = "\(operation) failed: \(message) (\(code))"
        if let diagnostic {
            // Servers end diagnostics with NULs or newlines (AD sends a trailing NUL); keep the line one line.
            let oneLine = diagnostic.split(whereSeparator: { $0.isNewline || $0 == "\0" }).joined(separator: " ")
            text += ": \(oneLine)"
        }
        return text
    }
}

extension LDAPError {
    /// A failure found before anything was sent, e.g. an option libldap refused.
    static func local(_ code: Int32, _ diagnostic: String, operation: String) -> LDAPError {
        LDAPError(code: code, diagnostic: diagnostic, operation: operation)
    }
}
