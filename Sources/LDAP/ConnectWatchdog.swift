internal import CLDAP
import Dispatch
import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Bounds the TLS handshake (and the StartTLS exchange before it) by the network timeout.
///
/// libldap 2.5 (Debian 12's) bounds the TCP connect by LDAP_OPT_NETWORK_TIMEOUT but not the TLS handshake:
/// with that option set it switches the socket to non-blocking and retries the handshake in a loop that
/// polls only for asynchronous connects, so a server that accepts the connection and then stays silent
/// makes `ldap_connect` spin at 100% CPU forever. So, once libldap reports the TCP connection (through a
/// connection callback, before any TLS), the watchdog turns the network timeout off for that session, which
/// makes the handshake ordinary blocking I/O, and starts a timer; if the connect has not finished when it
/// fires, it shuts the socket down, so the blocked read returns and libldap fails the handshake.
final class ConnectWatchdog: Sendable {
    private enum State {
        /// Before the TCP connection exists; the TCP connect has libldap's own timeout.
        case connecting
        /// TCP is up, libldap is in StartTLS or the handshake.
        case handshaking(socket: Int32)
        case finished
        case expired
    }

    private let state = Mutex(State.connecting)
    private let limit: Duration
    /// A serial queue of its own gets a thread when a timer fires; the global queue's few threads may all
    /// be blocked by other work in a busy process, and the timer would fire as late as they free up.
    private static let timers = DispatchQueue(label: "idsync.ldap.connect-watchdog")

    init(limit: Duration) {
        self.limit = limit
    }

    fileprivate func connected(socket: Int32) {
        state.withLock { state in
            if case .connecting = state { state = .handshaking(socket: socket) }
        }
        Self.timers.asyncAfter(deadline: .now() + limit.dispatchInterval) { self.expire() }
    }

    private func expire() {
        state.withLock { state in
            guard case .handshaking(let socket) = state else { return }
            // shutdown, not close: the descriptor remains libldap's to close, so it cannot be reused under it.
            // Under the lock, and finish() takes it before libldap closes the socket, so this never hits a
            // descriptor that already belongs to something else.
            _ = shutdown(socket, Int32(SHUT_RDWR))
            state = .expired
        }
    }

    /// Stops the watchdog: when the connect returned, and when libldap is about to close the socket.
    /// Returns whether it had fired, in which case the connect failed because of it.
    @discardableResult
    func finish() -> Bool {
        state.withLock { state in
            if case .expired = state { return true }
            state = .finished
            return false
        }
    }
}

/// The connection callback structure libldap calls into. libldap keeps a pointer to it for the life of the
/// session, so an instance must outlive `ldap_unbind_ext_s`.
final class ConnectCallback {
    let watchdog: ConnectWatchdog
    let pointer: UnsafeMutablePointer<ldap_conncb>

    init(watchdog: ConnectWatchdog) {
        self.watchdog = watchdog
        pointer = .allocate(capacity: 1)
        // Unretained: this object keeps the watchdog alive as long as libldap may call back.
        pointer.initialize(to: ldap_conncb(lc_add: tcpConnected, lc_del: connectionClosing,
                                           lc_arg: Unmanaged.passUnretained(watchdog).toOpaque()))
    }

    deinit {
        pointer.deallocate()
    }
}

private func watchdog(of callback: UnsafeMutablePointer<ldap_conncb>?) -> ConnectWatchdog? {
    callback?.pointee.lc_arg.map { Unmanaged<ConnectWatchdog>.fromOpaque($0).takeUnretainedValue() }
}

private let tcpConnected: @convention(c) (
    OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<LDAPURLDesc>?, UnsafeMutablePointer<sockaddr>?,
    UnsafeMutablePointer<ldap_conncb>?
) -> Int32 = { ld, sockbuf, _, _, callback in
    var socket: ber_socket_t = -1
    guard let ld, let sockbuf, let watchdog = watchdog(of: callback),
          ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &socket) == 1, socket >= 0 else { return 0 }
    // A negative network timeout is none: the handshake then blocks instead of spinning (see above).
    // libldap holds no lock on the options while it calls connection callbacks.
    var noLimit = timeval(tv_sec: -1, tv_usec: 0)
    _ = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &noLimit)
    watchdog.connected(socket: socket)
    return 0
}

/// libldap calls `lc_del` without checking it exists, before it closes the socket.
private let connectionClosing: @convention(c) (OpaquePointer?, OpaquePointer?, UnsafeMutablePointer<ldap_conncb>?) -> Void = {
    _, _, callback in
    watchdog(of: callback)?.finish()
}

private extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else { return .never }
        return .nanoseconds(Int(clamping: nanoseconds.partialValue + attoseconds / 1_000_000_000))
    }
}
