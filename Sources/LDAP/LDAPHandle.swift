internal import CLDAP
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One connection's libldap session, used only from the connection's own serial queue.
///
/// A libldap handle must not be used by two threads at once, and its calls block. Being an actor whose
/// executor is a private dispatch queue gives both: calls are serialized, and they block a Dispatch thread
/// rather than one of the cooperative pool's. Every method runs to completion without suspending, so no
/// other call can interleave with one in progress.
actor LDAPHandle {
    private let executor: DispatchQueueExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// `nil` before ``open(_:)`` and after ``close()``.
    private(set) var session: LibLDAPSession?
    let operationTimeout: Duration

    init(options: LDAPConnectionOptions) {
        executor = DispatchQueueExecutor(label: "idsync.ldap \(options.url)")
        operationTimeout = options.operationTimeout
    }

    /// A connection that was never closed still tells the server goodbye and frees libldap's memory, on
    /// its queue like every other call.
    isolated deinit {
        close()
    }

    func open(_ options: LDAPConnectionOptions) throws(LDAPError) {
        precondition(session == nil, "an LDAPHandle is opened once")
        let deadline = ContinuousClock.now + options.networkTimeout
        var pause = Duration.milliseconds(100)
        while true {
            do {
                session = try LibLDAPSession(options)
                return
            } catch where options.usesTLS && (error.code == LDAP_SERVER_DOWN || error.code == LDAP_CONNECT_ERROR) {
                // libldap reports a refused certificate and a busy server resetting the handshake alike. The
                // diagnosis tells them apart; only the passing kind is tried again, with a growing pause, for
                // as long as the network timeout lasts. A slow failure (a silent server) has used the
                // timeout up already, so the network timeout stays the bound.
                let diagnosis = CertificateDiagnosis.explain(error, connecting: options)
                if diagnosis.certificateRejected || Task.isCancelled || ContinuousClock.now + pause >= deadline {
                    throw diagnosis.error
                }
                Self.block(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    /// Blocks this connection's own queue (never the cooperative pool's threads) between connect attempts.
    private static func block(for duration: Duration) {
        let pause = duration.cTimeval
        usleep(useconds_t(pause.tv_sec) * 1_000_000 + useconds_t(pause.tv_usec))
    }

    /// Sends the unbind request and releases the session. Idempotent.
    func close() {
        session?.close()
        session = nil
    }

    /// The session, for a new operation: checks for cancellation first, and forgets the previous operation's
    /// diagnostic so that an error of this one is never explained with an old message.
    func beginOperation(_ operation: String) throws -> OpaquePointer {
        try Task.checkCancellation()
        guard let ld = session?.ld else {
            throw LDAPError.local(LDAP_SERVER_DOWN, "the connection was closed", operation: operation)
        }
        _ = ldap_set_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, nil)
        return ld
    }

    /// The session's socket, while it is open (for tests that check connections are released).
    func socketDescriptor() -> Int32? {
        guard let ld = session?.ld else { return nil }
        var socket: Int32 = -1
        return ldap_get_option(ld, LDAP_OPT_DESC, &socket) == LDAP_OPT_SUCCESS && socket >= 0 ? socket : nil
    }

    /// An error libldap reported through the session rather than in a server's result message.
    func sessionError(_ code: Int32? = nil, operation: String) -> LDAPError {
        guard let ld = session?.ld else {
            return LDAPError.local(code ?? LDAP_SERVER_DOWN, "the connection was closed", operation: operation)
        }
        var storedCode: Int32 = LDAP_OTHER
        if code == nil {
            _ = ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &storedCode)
        }
        return LDAPError(code: code ?? storedCode, diagnostic: diagnosticMessage(ld), operation: operation)
    }
}
