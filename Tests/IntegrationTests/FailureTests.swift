import Foundation
import IDSyncTesting
import Testing

/// Bad configuration and unusable connectors: a non-zero exit, one line naming what is wrong, and a
/// store left exactly as it was.
@Suite("Refusing to run: bad config, unreachable servers, wrong credentials", .hangGuard)
struct FailureTests {
    /// A working installation that has synced once, so "unchanged" has something to compare.
    static func syncedInstallation() async throws -> (IDSyncInstallation, SCIMServer, SeededDirectory) {
        let setup = try await SyncSetup.make(users: 3)
        let first = try await setup.install.idsync(["sync"])
        #expect(first.status == 0, "\(first.output)")
        return (setup.install, setup.scim, setup.directory)
    }

    /// Runs `idsync sync` after `breakIt` and checks: failed, one line naming `mentioning`, store unchanged.
    func expectRefusal(_ install: IDSyncInstallation, mentioning expected: [String]) async throws {
        let before = try await install.databaseDump()
        let result = try await install.idsync(["sync"])
        #expect(result.status != 0, "sync should have failed:\n\(result.output)")
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }
        #expect(errorLines.count == 1, "expected one error line, got:\n\(result.stderr)")
        for text in expected {
            #expect(errorLines.first?.contains(text) == true, "error line lacks \"\(text)\": \(result.stderr)")
        }
        #expect(try await install.databaseDump() == before, "the store changed")
    }

    @Test("an unknown key is named with its line, before anything runs")
    func unknownKey() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            try install.writeConfig(try install.config().replacingOccurrences(of: "    flavor: active-directory",
                                                                              with: "    flavor: active-directory\n    bind_pasword: oops"))
            try await expectRefusal(install, mentioning: ["connectors[0].bind_pasword", "unknown key", "idsync.yaml:"])
        }
    }

    @Test("a missing CA file is named with its key path")
    func missingFile() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            let dc = try await SambaDC.shared()
            try install.writeConfig(try install.config().replacingOccurrences(of: dc.caFile, with: "/nonexistent/ca.pem"))
            try await expectRefusal(install, mentioning: ["connectors[0].tls_ca_file", "/nonexistent/ca.pem"])
        }
    }

    @Test("a wrong type is named")
    func wrongType() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            try install.writeConfig(try install.config().replacingOccurrences(of: "    flavor: active-directory",
                                                                              with: "    flavor: active-directory\n    page_size: many"))
            try await expectRefusal(install, mentioning: ["connectors[0].page_size", "whole number"])
        }
    }

    @Test("an unreachable directory names the connector")
    func unreachableDirectory() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            let dc = try await SambaDC.shared()
            try install.writeConfig(try install.config().replacingOccurrences(of: dc.ldapsURL, with: dc.ldapsURL.replacingOccurrences(of: ":636", with: ":1636")))
            try await expectRefusal(install, mentioning: ["contoso.test:", "cannot connect"])
        }
    }

    @Test("an unreachable SCIM service names the connector")
    func unreachableTarget() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await scim.stop()
        try await expectRefusal(install, mentioning: ["cloud:", "cannot reach"])
    }

    @Test("a wrong bind password names the connector and AD's reason")
    func wrongBindPassword() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            try install.directory.write("adconn.password", "Wrong-Password-1\n")
            try await expectRefusal(install, mentioning: ["contoso.test:", "bind as", "Invalid credentials"])
        }
    }

    @Test("a wrong SCIM token names the connector")
    func wrongToken() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            try install.directory.write("cloud.token", "not-the-token\n")
            try await expectRefusal(install, mentioning: ["cloud:", "refused the credential"])
        }
    }

    @Test("a CA that did not sign the server's certificate is refused")
    func caMismatch() async throws {
        let (install, scim, _) = try await Self.syncedInstallation()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            // A CA of its own, unrelated to the DC's.
            let otherCA = install.directory.file("other-ca.pem")
            try await runChecked(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=other CA",
                                  "-keyout", install.directory.file("other-ca.key"), "-out", otherCA])
            let dc = try await SambaDC.shared()
            try install.writeConfig(try install.config().replacingOccurrences(of: dc.caFile, with: otherCA))
            try await expectRefusal(install, mentioning: ["contoso.test:", "cannot connect"])
        }
    }

    @Test("a first run that cannot connect creates no database")
    func noDatabaseOnFailedFirstRun() async throws {
        let dc = try await SambaDC.shared()
        let scim = try await SCIMServer.start()
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            let install = try IDSyncInstallation.make(dc: dc, containers: [], bindUPN: dc.adminUPN, bindPassword: "Wrong-1-pass", scim: scim)
            let result = try await install.idsync(["sync"])
            #expect(result.status == 1)
            #expect(!FileManager.default.fileExists(atPath: install.databasePath))
        }
    }
}
