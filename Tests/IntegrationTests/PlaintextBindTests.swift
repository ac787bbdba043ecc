import Foundation
import IDSyncTesting
import Testing

/// A simple bind carries a password: over ldap:// without StartTLS it is refused before anything is sent,
/// for the service's logon, `service set-account`, `service change-password` and the connectors, unless the
/// connector sets `allow_plaintext_bind: true` (a lab). A listener on loopback stands where the directory
/// would be and records what reaches it.
@Suite("Transport trust: no simple bind over plain ldap://", .hangGuard)
struct PlaintextBindTests {
    let servicePassword = "service-password-\(UUID().uuidString.prefix(8))"
    let readerPassword = "reader-password-\(UUID().uuidString.prefix(8))"

    /// An installation whose only directory is the listener, over plain ldap://.
    func install(listener: RecordingTCPListener, allowPlaintext: Bool) throws -> IDSyncInstallation {
        let directory = try TemporaryDirectory(prefix: "plain-ldap")
        try directory.write("reader.password", readerPassword + "\n")
        try directory.write("service.password", servicePassword + "\n")
        try directory.write("cloud.token", "token\n")
        let config = try directory.write("idsync.yaml", """
            database: \(directory.file("idsync.sqlite"))
            service:
              account: svc@example.test
              password_file: service.password
            connectors:
              - name: plain
                type: ldap
                flavor: openldap
                url: ldap://127.0.0.1:\(listener.port)
                \(allowPlaintext ? "allow_plaintext_bind: true" : "")
                bind_dn: cn=reader,dc=example,dc=test
                password_file: reader.password
                base_dn: dc=example,dc=test
                timeout: 5s
              - name: cloud
                type: scim
                url: http://127.0.0.1:9/scim/v2/
                auth: { type: bearer, token_file: cloud.token }
            """)
        return IDSyncInstallation(directory: directory, configPath: config, databasePath: directory.file("idsync.sqlite"),
                                  sourceName: "plain", targetName: "cloud")
    }

    @Test("refused before connecting: service logon, set-account, change-password and the connector send nothing")
    func refusedBeforeAnythingIsSent() async throws {
        let listener = try await RecordingTCPListener()
        let install = try install(listener: listener, allowPlaintext: false)
        defer { install.directory.remove() }
        let given = try install.directory.write("given.password", servicePassword + "\n")
        let new = try install.directory.write("new.password", "new-\(servicePassword)\n")
        let commands = [
            ["service", "set-account", "--account", "svc@example.test", "--password-file", given],
            ["service", "change-password", "--new-password-file", new],
            ["service", "run"],
            ["sync"],
        ]
        for command in commands {
            let result = try await install.idsync(command)
            #expect(result.status == 1, "\(command): \(result.output)")
            #expect(result.output.contains("refused to bind over ldap://127.0.0.1:\(listener.port) without TLS"), "\(command): \(result.output)")
            #expect(result.output.contains("allow_plaintext_bind"), "\(command): the way out is not named: \(result.output)")
        }
        #expect(listener.connections == 0, "a connection reached the plain ldap:// listener")
        #expect(listener.received.isEmpty)
        try await listener.stop()
    }

    @Test("allow_plaintext_bind: true lets the bind go, with a warning at every start; the listener would have seen it")
    func allowedForALabWithAWarning() async throws {
        let listener = try await RecordingTCPListener()
        let install = try install(listener: listener, allowPlaintext: true)
        defer { install.directory.remove() }
        let given = try install.directory.write("given.password", servicePassword + "\n")
        // The listener is no directory: the bind fails once sent, which is all this needs.
        let setAccount = try await install.idsync(["service", "set-account", "--account", "svc@example.test", "--password-file", given])
        #expect(setAccount.status == 1)
        #expect(setAccount.output.contains("allow_plaintext_bind is true"), "\(setAccount.output)")
        let sync = try await install.idsync(["sync"])
        #expect(sync.output.contains("allow_plaintext_bind is true"), "\(sync.output)")
        #expect(listener.receivedText(servicePassword), "the service password did not reach the listener")
        #expect(listener.receivedText(readerPassword), "the connector's password did not reach the listener")
        try await listener.stop()
    }
}
