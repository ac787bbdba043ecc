import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake for its backlog)
/// and never answers: a server that hangs, for timeout tests.
final class SilentServer {
    let port: UInt16
    private let socketDescriptor: Int32

    /// With `listening: false` the port is only bound: a connect to it is refused, and while this object
    /// lives no other socket can take the port (a port closed instead may become some connection's source
    /// port, and a connect from that very port to itself succeeds: TCP's simultaneous open).
    init(listening: Bool = true) throws {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socketDescriptor, pointer, length) == 0 && (!listening || listen(socketDescriptor, 8) == 0)
                    && getsockname(socketDescriptor, pointer, &length) == 0
            }
        }
        guard bound else {
            close(socketDescriptor)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        self.socketDescriptor = socketDescriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit {
        close(socketDescriptor)
    }
}
