internal import CLDAP
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A configured, connected libldap session (`LDAP *`) and the callback memory libldap keeps pointers to,
/// released together by ``close()`` or deinit.
///
/// Not thread-safe, like the handle it wraps: ``LDAPHandle`` owns one and uses it from its queue only.
final class LibLDAPSession {
    let ld: OpaquePointer
    private let connectCallback: ConnectCallback
    private var isOpen = true

    /// Initializes a session for `options.url` (LDAPv3, referrals not chased, this connection's own TLS
    /// context) and connects at once, with StartTLS if asked, so that an unreachable server or an untrusted
    /// certificate is reported here rather than by the first operation.
    init(_ options: LDAPConnectionOptions) throws(LDAPError) {
        if options.startTLS && options.isLDAPS {
            throw LDAPError.local(LDAP_PARAM_ERROR, "StartTLS upgrades ldap:// connections; \(options.url) is TLS already",
                                  operation: "connect")
        }
        var session: OpaquePointer?
        let rc = ldap_initialize(&session, options.url)
        guard rc == LDAP_SUCCESS, let session else {
            throw LDAPError.local(rc, "cannot use the URL \(options.url)", operation: "connect")
        }
        ld = session
        connectCallback = ConnectCallback(watchdog: ConnectWatchdog(limit: options.networkTimeout))
        do {
            try configure(options)
            try connect(options)
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Sends the unbind request and frees the session. Idempotent.
    func close() {
        guard isOpen else { return }
        isOpen = false
        // Frees the handle whatever it returns; the server may be gone already, which is no error here.
        _ = ldap_unbind_ext_s(ld, nil, nil)
    }

    private func configure(_ options: LDAPConnectionOptions) throws(LDAPError) {
        var version = LDAP_VERSION3
        try setOption(LDAP_OPT_PROTOCOL_VERSION, &version, "LDAP_OPT_PROTOCOL_VERSION")
        // Referrals are reported to the caller, never chased: chasing would bind anonymously to servers the
        // configuration never named. (NULL is LDAP_OPT_OFF, a macro Swift cannot import.)
        try setOption(LDAP_OPT_REFERRALS, nil, "LDAP_OPT_REFERRALS")

        var networkTimeout = options.networkTimeout.cTimeval
        try setOption(LDAP_OPT_NETWORK_TIMEOUT, &networkTimeout, "LDAP_OPT_NETWORK_TIMEOUT")
        try setOption(LDAP_OPT_CONNECT_CB, connectCallback.pointer, "LDAP_OPT_CONNECT_CB")
        // Requests wait with their own deadline (LDAPHandle.waitForMessage); this bounds the one call that
        // cannot be given one, ldap_start_tls_s.
        var operationTimeout = options.operationTimeout.cTimeval
        try setOption(LDAP_OPT_TIMEOUT, &operationTimeout, "LDAP_OPT_TIMEOUT")

        // TLS settings go on this handle, then LDAP_OPT_X_TLS_NEWCTX builds a TLS context from them. Without
        // NEWCTX the handle would use libldap's process-wide context, which holds whatever CA file the first
        // connection of the process happened to set.
        var requireCertificate = options.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        try setOption(LDAP_OPT_X_TLS_REQUIRE_CERT, &requireCertificate, "LDAP_OPT_X_TLS_REQUIRE_CERT")
        var minimumProtocol = IDSYNC_LDAP_TLS_PROTOCOL_TLS1_2
        try setOption(LDAP_OPT_X_TLS_PROTOCOL_MIN, &minimumProtocol, "LDAP_OPT_X_TLS_PROTOCOL_MIN")
        if let caFile = options.caFile {
            // libldap reports an unusable CA file only as a failed NEWCTX, without saying why.
            guard access(caFile, R_OK) == 0 else {
                throw LDAPError.local(LDAP_LOCAL_ERROR, "CA file \(caFile): \(String(cString: strerror(errno)))",
                                      operation: "connect")
            }
            try setOption(LDAP_OPT_X_TLS_CACERTFILE, caFile, "LDAP_OPT_X_TLS_CACERTFILE")
        }
        var isServer: Int32 = 0
        try setOption(LDAP_OPT_X_TLS_NEWCTX, &isServer, "LDAP_OPT_X_TLS_NEWCTX",
                      context: options.caFile.map { "CA file \($0) could not be loaded as PEM certificates" })
    }

    private func setOption(_ option: Int32, _ value: UnsafeRawPointer?, _ name: String,
                           context: String? = nil) throws(LDAPError) {
        guard ldap_set_option(ld, option, value) == LDAP_OPT_SUCCESS else {
            // libldap may have said why (NEWCTX does, for an unreadable CA file); fall back to naming the option.
            let reason = diagnosticMessage(ld) ?? "libldap refused \(name)"
            throw LDAPError.local(LDAP_LOCAL_ERROR, [context, reason].compactMap { $0 }.joined(separator: ": "),
                                  operation: "connect")
        }
    }

    private func connect(_ options: LDAPConnectionOptions) throws(LDAPError) {
        let operation = options.startTLS ? "starttls" : "connect"
        // StartTLS connects, sends the request and does the handshake; for ldaps:// ldap_connect includes the
        // handshake and so the certificate check.
        let rc = options.startTLS ? ldap_start_tls_s(ld, nil, nil) : ldap_connect(ld)
        if connectCallback.watchdog.finish() {
            throw LDAPError.local(LDAP_TIMEOUT, "no TLS session within \(options.networkTimeout)", operation: operation)
        }
        guard rc == LDAP_SUCCESS else {
            throw LDAPError(code: rc, diagnostic: diagnosticMessage(ld), operation: operation)
        }
    }
}

/// The session's diagnostic message (LDAP_OPT_DIAGNOSTIC_MESSAGE), if it has one.
func diagnosticMessage(_ ld: OpaquePointer) -> String? {
    var message: UnsafeMutablePointer<CChar>?
    guard ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS, let message else {
        return nil
    }
    defer { ldap_memfree(message) }
    return String(cString: message)
}

extension LDAPConnectionOptions {
    var isLDAPS: Bool { url.lowercased().hasPrefix("ldaps://") }
    var usesTLS: Bool { startTLS || isLDAPS }
}
