import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import LDAP
import Testing

@Suite("Connection lifetime (Samba AD DC)")
struct LifetimeTests {
    @Test func aConnectionDroppedWithoutCloseIsUnbound() async throws {
        let directory = try await TestDirectory.samba()
        var connection: LDAPConnection? = try await directory.adminConnection()
        let socket = try #require(await OpenSocket(connection?.handle.socketDescriptor()))
        #expect(socket.isOpen)
        connection = nil
        // The unbind runs on the connection's queue after the last reference goes.
        let deadline = ContinuousClock.now + .seconds(5)
        while socket.isOpen, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!socket.isOpen, "descriptor \(socket.descriptor) still open")
    }

    @Test func closeReleasesTheSocketAtOnce() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let socket = try #require(await OpenSocket(connection.handle.socketDescriptor()))
        await connection.close()
        #expect(await connection.handle.socketDescriptor() == nil)
        #expect(!socket.isOpen)
    }

    @Test func cancelledTaskDoesNotStartAnOperation() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await connection.search(base: directory.dc.baseDN, scope: .base, filter: "(objectClass=*)", attributes: [])
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        // The connection is still usable afterwards.
        let result = try await connection.search(base: directory.dc.baseDN, scope: .base, filter: "(objectClass=*)",
                                                 attributes: ["1.1"])
        #expect(result.entries.count == 1)
        await connection.close()
    }
}

/// A descriptor and the socket it referred to. Tests running in parallel open descriptors all the time and
/// get the lowest free number, so a closed connection's number is soon someone else's: the socket is
/// still open only if the number still refers to the same one.
private struct OpenSocket {
    let descriptor: Int32
    private let device: UInt
    private let inode: UInt

    init?(_ descriptor: Int32?) {
        var status = stat()
        guard let descriptor, fstat(descriptor, &status) == 0 else { return nil }
        self.descriptor = descriptor
        device = UInt(status.st_dev)
        inode = UInt(status.st_ino)
    }

    var isOpen: Bool {
        var status = stat()
        return fstat(descriptor, &status) == 0 && UInt(status.st_dev) == device && UInt(status.st_ino) == inode
    }
}
