import Foundation
import LDAP

/// A throwaway OpenLDAP server (Debian's slapd, unprivileged, on a free loopback port) with one suffix,
/// for what Samba does not implement: the Password Modify and WhoAmI extended operations.
final class Slapd: Sendable {
    static let suffix = "dc=example,dc=test"
    static let rootDN = "cn=admin,\(suffix)"
    let rootPassword = "root-\(UUID().uuidString)"
    let url: String
    private let server: SpawnedServer
    private let directory: URL

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("idsync-slapd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("db"), withIntermediateDirectories: true)
        let port = try SilentServer().port  // a port that was free a moment ago
        url = "ldap://127.0.0.1:\(port)"
        let configuration = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile \(directory.path)/slapd.pid
            database mdb
            suffix "\(Self.suffix)"
            rootdn "\(Self.rootDN)"
            rootpw \(rootPassword)
            directory \(directory.path)/db
            access to attrs=userPassword by self write by anonymous auth by * none
            access to * by * read
            """
        let configurationFile = directory.appendingPathComponent("slapd.conf")
        try configuration.write(to: configurationFile, atomically: false, encoding: .utf8)

        // -d 0 keeps slapd in the foreground, as this process's child.
        server = try SpawnedServer(["/usr/sbin/slapd", "-f", configurationFile.path, "-h", "\(url)/", "-d", "0"])
        try await waitUntilAnswering()
    }

    /// Runs `body` with a fresh server, and stops the server however `body` ends.
    static func withServer<T>(_ body: (Slapd) async throws -> T) async throws -> T {
        let slapd = try await Slapd()
        do {
            let result = try await body(slapd)
            await slapd.stop()
            return result
        } catch {
            await slapd.stop()
            throw error
        }
    }

    /// Stops slapd and removes its files.
    func stop() async {
        await server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func connection(bindDN: String? = nil, password: String? = nil) async throws -> LDAPConnection {
        let connection = try await LDAPConnection.connect(LDAPConnectionOptions(url: url, networkTimeout: .seconds(2),
                                                                                operationTimeout: .seconds(10)))
        if let bindDN, let password {
            try await connection.simpleBind(dn: bindDN, password: password)
        }
        return connection
    }

    private func waitUntilAnswering() async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do {
                let probe = try await connection()
                await probe.close()
                return
            } catch let error as LDAPError where error.isServerDown && ContinuousClock.now < deadline && server.isRunning {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
