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
        let socket = try #require(await connection?.handle.socketDescriptor())
        #expect(fcntl(socket, F_GETFD) != -1)
        connection = nil
        // The unbind runs on the connection's queue after the last reference goes.
        let deadline = ContinuousClock.now + .seconds(5)
        while fcntl(socket, F_GETFD) != -1, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // (Another test may open a descriptor with the same number in between, which would only let this
        // pass wrongly, never fail wrongly.)
        #expect(fcntl(socket, F_GETFD) == -1, "descriptor \(socket) still open")
    }

    @Test func closeReleasesTheSocketAtOnce() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let socket = try #require(await connection.handle.socketDescriptor())
        await connection.close()
        #expect(await connection.handle.socketDescriptor() == nil)
        #expect(fcntl(socket, F_GETFD) == -1)
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
