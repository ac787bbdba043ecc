internal import CLDAP

/// One libldap session (`LDAP *`), used only from its own serial queue.
///
/// A libldap handle must not be used by two threads at once, and its calls block. Being an actor whose
/// executor is a private dispatch queue gives both: calls are serialized, and they block a Dispatch thread
/// rather than one of the cooperative pool's. Every method runs to completion without suspending, so no
/// other call can interleave with one in progress.
actor LDAPHandle {
    private let executor: DispatchQueueExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// `nil` before ``open(_:)`` and after ``close()``.
    private var ld: OpaquePointer?
    let operationTimeout: Duration

    init(options: LDAPConnectionOptions) {
        executor = DispatchQueueExecutor(label: "idsync.ldap \(options.url)")
        operationTimeout = options.operationTimeout
    }

    /// A connection that was never closed still tells the server goodbye and frees libldap's memory.
    isolated deinit {
        close()
    }

    /// Creates the session, configures it and connects, so that an unreachable server or an untrusted
    /// certificate is reported here rather than by the first operation.
    func open(_ options: LDAPConnectionOptions) throws {
        precondition(ld == nil, "an LDAPHandle is opened once")
        if options.startTLS && options.url.lowercased().hasPrefix("ldaps://") {
            throw LDAPError.local(LDAP_PARAM_ERROR, "StartTLS upgrades ldap:// connections; \(options.url) is TLS already",
                                  operation: "connect")
        }
        var session: OpaquePointer?
        let rc = ldap_initialize(&session, options.url)
        guard rc == LDAP_SUCCESS, let session else {
            throw LDAPError.local(rc, "cannot use the URL \(options.url)", operation: "connect")
        }
        // Owned from here on: close() or deinit frees it whatever fails next.
        ld = session

        try configure(session, options)
        if options.startTLS {
            // Connects, then sends StartTLS and does the handshake; waits at most LDAP_OPT_TIMEOUT.
            let rc = ldap_start_tls_s(session, nil, nil)
            guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: "starttls") }
        } else {
            // For ldaps:// this includes the TLS handshake and so the certificate check.
            let rc = ldap_connect(session)
            guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: "connect") }
        }
    }

    private func configure(_ session: OpaquePointer, _ options: LDAPConnectionOptions) throws {
        var version = LDAP_VERSION3
        try setOption(session, LDAP_OPT_PROTOCOL_VERSION, &version, "LDAP_OPT_PROTOCOL_VERSION")
        // Referrals are reported to the caller, never chased: chasing would bind anonymously to servers the
        // configuration never named. (NULL is LDAP_OPT_OFF, a macro Swift cannot import.)
        try setOption(session, LDAP_OPT_REFERRALS, nil, "LDAP_OPT_REFERRALS")

        var networkTimeout = options.networkTimeout.cTimeval
        try setOption(session, LDAP_OPT_NETWORK_TIMEOUT, &networkTimeout, "LDAP_OPT_NETWORK_TIMEOUT")
        // Requests wait with their own deadline (see waitForMessage); this bounds the one call that cannot be
        // given one, ldap_start_tls_s.
        var operationTimeout = options.operationTimeout.cTimeval
        try setOption(session, LDAP_OPT_TIMEOUT, &operationTimeout, "LDAP_OPT_TIMEOUT")

        // TLS settings go on this handle, then LDAP_OPT_X_TLS_NEWCTX builds a TLS context from them. Without
        // NEWCTX the handle would use libldap's process-wide context, which holds whatever CA file the first
        // connection of the process happened to set.
        var requireCertificate = options.verifyCertificate ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER
        try setOption(session, LDAP_OPT_X_TLS_REQUIRE_CERT, &requireCertificate, "LDAP_OPT_X_TLS_REQUIRE_CERT")
        var minimumProtocol = IDSYNC_LDAP_TLS_PROTOCOL_TLS1_2
        try setOption(session, LDAP_OPT_X_TLS_PROTOCOL_MIN, &minimumProtocol, "LDAP_OPT_X_TLS_PROTOCOL_MIN")
        if let caFile = options.caFile {
            try setOption(session, LDAP_OPT_X_TLS_CACERTFILE, caFile, "LDAP_OPT_X_TLS_CACERTFILE")
        }
        var isServer: Int32 = 0
        try setOption(session, LDAP_OPT_X_TLS_NEWCTX, &isServer, "LDAP_OPT_X_TLS_NEWCTX",
                      context: options.caFile.map { "CA file \($0)" })
    }

    private func setOption(_ session: OpaquePointer, _ option: Int32, _ value: UnsafeRawPointer?, _ name: String,
                           context: String? = nil) throws {
        guard ldap_set_option(session, option, value) == LDAP_OPT_SUCCESS else {
            // libldap may have said why (NEWCTX does, for an unreadable CA file); fall back to naming the option.
            let reason = diagnosticMessage(session) ?? "libldap refused \(name)"
            throw LDAPError.local(LDAP_LOCAL_ERROR, [context, reason].compactMap { $0 }.joined(separator: ": "),
                                  operation: "connect")
        }
    }

    /// Sends the unbind request and frees the session. Idempotent.
    func close() {
        guard let session = ld else { return }
        ld = nil
        // Frees the handle whatever it returns; the server may be gone already, which is no error here.
        _ = ldap_unbind_ext_s(session, nil, nil)
    }

    /// The open session for a new operation, after forgetting the previous operation's diagnostic so that an
    /// error of this one is never explained with an old message.
    func session(for operation: String) throws -> OpaquePointer {
        try Task.checkCancellation()
        guard let ld else {
            throw LDAPError.local(LDAP_SERVER_DOWN, "the connection was closed", operation: operation)
        }
        _ = ldap_set_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, nil)
        return ld
    }

    /// An error libldap reported through the session rather than a server's result message.
    func sessionError(_ code: Int32? = nil, operation: String) -> LDAPError {
        guard let ld else {
            return LDAPError.local(code ?? LDAP_SERVER_DOWN, "the connection was closed", operation: operation)
        }
        var storedCode: Int32 = LDAP_OTHER
        if code == nil {
            _ = ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &storedCode)
        }
        return LDAPError(code: code ?? storedCode, diagnostic: diagnosticMessage(ld), operation: operation)
    }

    private func diagnosticMessage(_ session: OpaquePointer) -> String? {
        var message: UnsafeMutablePointer<CChar>?
        guard ldap_get_option(session, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS, let message else {
            return nil
        }
        defer { ldap_memfree(message) }
        return String(cString: message)
    }
}
