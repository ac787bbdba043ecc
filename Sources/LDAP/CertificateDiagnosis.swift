internal import CLDAP

/// Says what went wrong when a TLS connect fails, which libldap does not.
///
/// libldap reports a rejected certificate like an unreachable server ("Can't contact LDAP server" for
/// ldaps://, "Connect error" for StartTLS) and, built with GnuTLS as on Debian, its diagnostic is
/// "(unknown error code)"; the reason only goes to its debug log, which is process-wide. Two things tell
/// the cases apart, and both must hold:
/// - that diagnostic itself. GnuTLS has no error -1; libldap's verification of the peer (CA or host name)
///   returns it, while a handshake the server cut off carries GnuTLS's own message ("The TLS connection
///   was non-properly terminated.", "Error in the pull function.") and a refused TCP connect none;
/// - a second connect without certificate verification succeeding: the server is there and speaks TLS.
/// A busy server that resets one handshake and completes the next passes the second test alone; calling
/// that a refused certificate would fail a connect that a retry completes. The probe sends nothing but the
/// handshake and an unbind, and only after a failure.
enum CertificateDiagnosis {
    /// What libldap built with GnuTLS leaves as the diagnostic when it refused the peer's certificate.
    static let verificationFailedDiagnostic = "(unknown error code)"

    /// The error to report, and whether it is the certificate's fault (which no retry changes).
    struct Diagnosis {
        let error: LDAPError
        let certificateRejected: Bool
    }

    static func explain(_ error: LDAPError, connecting options: LDAPConnectionOptions) -> Diagnosis {
        let failedLikeTLS = error.code == LDAP_SERVER_DOWN || error.code == LDAP_CONNECT_ERROR
        guard failedLikeTLS, options.usesTLS else { return Diagnosis(error: error, certificateRejected: false) }
        let failedVerification = error.diagnostic == verificationFailedDiagnostic
        if options.verifyCertificate, failedVerification, acceptsConnectionsWithoutVerification(options) {
            let trusted = options.caFile.map { "a CA in \($0)" } ?? "a CA of the system trust store"
            let rejected = LDAPError(
                code: error.code,
                diagnostic: "TLS certificate rejected: the server's certificate is not signed by \(trusted) "
                    + "or was not issued for the host of \(options.url)",
                operation: error.operation)
            return Diagnosis(error: rejected, certificateRejected: true)
        }
        if failedVerification {
            let unexplained = LDAPError(code: error.code, diagnostic: "TLS handshake failed (libldap gives no reason)",
                                        operation: error.operation)
            return Diagnosis(error: unexplained, certificateRejected: false)
        }
        return Diagnosis(error: error, certificateRejected: false)
    }

    private static func acceptsConnectionsWithoutVerification(_ options: LDAPConnectionOptions) -> Bool {
        var unverified = options
        unverified.verifyCertificate = false
        guard let probe = try? LibLDAPSession(unverified) else { return false }
        probe.close()
        return true
    }
}
