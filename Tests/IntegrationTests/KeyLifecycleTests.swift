import Foundation
import IDSyncTesting
import Testing

/// Key export/import onto a copy, tamper detection, and rotation, through the CLI against real servers.
@Suite("Server key: export, import, tampering, rotation")
struct KeyLifecycleTests {
    @Test("key export on one database, key import on a copy with another service account → the copy starts")
    func exportImportOnACopy() async throws {
        let setup = try await VaultedInstallation.make()
        defer { Task { await setup.cleanUp() } }
        try await setup.configure()
        let passphrase = "standby passphrase \(UUID().uuidString.prefix(6))"
        let keyFile = setup.install.directory.file("server-key.export")
        let exported = try await setup.idsync(["key", "export", "--file", keyFile, "--passphrase-file", try setup.secretFile("pp", passphrase)])
        #expect(exported.status == 0, "\(exported.output)")
        let mode = (try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue ?? 0
        #expect(mode == 0o600, "the key file is mode \(String(mode, radix: 8))")

        // The standby: a copy of the database, its own service account.
        let standbySAM = "svc2-\(UUID().uuidString.prefix(6).lowercased())"
        let standbyPassword = SambaDC.randomPassword()
        try await setup.dc.addUser(in: setup.directory.ou, cn: standbySAM, sam: standbySAM, password: standbyPassword)
        let standby = try IDSyncInstallation.make(dc: setup.dc, containers: [setup.directory.ou], bindUPN: setup.directory.bindUPN,
                                                  bindPassword: setup.directory.bindPassword, scim: setup.scim,
                                                  serviceAccount: "\(standbySAM)@\(setup.dc.upnSuffix)", interval: "1s")
        defer { Task { _ = try? await standby.stopService() } }
        try await runChecked(["sqlite3", setup.install.databasePath, ".backup '\(standby.databasePath)'"])
        try expectSuccess(await standby.idsync(["service", "set-account", "--account", "\(standbySAM)@\(setup.dc.upnSuffix)",
                                                "--password-file", try setup.secretFile("standby", standbyPassword)]))
        #expect(try await standby.startService().stderr.contains("-21451857952"), "the copy should not open the key yet")

        let wrong = try await standby.idsync(["key", "import", "--file", keyFile, "--passphrase-file", try setup.secretFile("bad", "not the passphrase")])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("the passphrase does not unlock the exported key; nothing was changed"), "\(wrong.output)")

        let imported = try await standby.idsync(["key", "import", "--file", keyFile, "--passphrase-file", try setup.secretFile("pp2", passphrase)])
        #expect(imported.status == 0, "\(imported.output)")
        let started = try await standby.startService()
        #expect(started.status == 0, "the copy did not start after the import: \(started.output)")
    }

    @Test("a flipped byte, swapped records, a corrupt wrapper: detected, clearly reported, nothing overwritten")
    func tampering() async throws {
        let setup = try await VaultedInstallation.make()
        defer { Task { await setup.cleanUp() } }
        try await setup.configure()
        let db = setup.install.databasePath
        func sealed(_ connector: String) async throws -> String {
            try await runChecked(["sqlite3", db, "SELECT hex(sealed) FROM vault_credentials WHERE connector = '\(connector)'"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func setSealed(_ connector: String, _ hex: String) async throws {
            try await runChecked(["sqlite3", db, "UPDATE vault_credentials SET sealed = X'\(hex)' WHERE connector = '\(connector)'"])
        }
        func flipped(_ hex: String, at index: Int) -> String {
            var characters = [Character](hex)
            characters[index] = characters[index] == "0" ? "1" : "0"
            return String(characters)
        }
        let ad = try await sealed("contoso.test"), cloud = try await sealed("cloud")

        // A flipped byte in the SCIM token's ciphertext.
        try await setSealed("cloud", flipped(cloud, at: cloud.count - 10))
        var before = try await setup.install.databaseDump()
        let shown = try await setup.idsync(["key", "show"])
        #expect(shown.stdout.contains("the stored token of connector cloud fails its integrity check"), "\(shown.output)")
        let sync = try await setup.idsync(["sync"])
        #expect(sync.status == 1)
        #expect(sync.stderr.contains("cloud:") && sync.stderr.contains("fails its integrity check"), "\(sync.output)")
        #expect(try await setup.install.databaseDump() == before, "a detected tampering changed the store")

        // Swapped records: each valid, each moved to the other connector.
        try await setSealed("cloud", ad)
        try await setSealed("contoso.test", cloud)
        let swapped = try await setup.idsync(["key", "show"])
        #expect(swapped.stdout.split(separator: "\n").filter { $0.contains("fails its integrity check") }.count == 2, "\(swapped.output)")

        // Restored, everything reads again.
        try await setSealed("cloud", cloud)
        try await setSealed("contoso.test", ad)
        #expect(try await setup.idsync(["sync"]).status == 0)

        // A flipped byte in the wrapped key itself: the right password, altered data — 6028, said as such.
        let keySet = try await runChecked(["sqlite3", db, "SELECT keyset FROM vault_keyset"]).stdout
        var json = try #require(try JSONSerialization.jsonObject(with: Data(keySet.utf8)) as? [String: Any])
        var wrappers = try #require(json["wrappers"] as? [[String: Any]])
        var wrapped = try #require(wrappers[0]["wrapped"] as? [Int])
        wrapped[5] ^= 0x01
        wrappers[0]["wrapped"] = wrapped
        json["wrappers"] = wrappers
        let corrupted = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        try await runChecked(["sqlite3", db, "UPDATE vault_keyset SET keyset = CAST(\(sqlQuote(corrupted)) AS BLOB)"])
        before = try await setup.install.databaseDump()
        let corrupt = try await setup.idsync(["connector", "set-password", "cloud"], stdin: "x\n")
        #expect(corrupt.status == 1)
        #expect(corrupt.stderr.contains("The server encryption key cannot be accessed") && corrupt.stderr.contains("corrupt"), "\(corrupt.output)")
        let after = try await setup.install.databaseDump()
        #expect(after?.replacingOccurrences(of: #"INSERT INTO events.*\n"#, with: "", options: .regularExpression)
                == before?.replacingOccurrences(of: #"INSERT INTO events.*\n"#, with: "", options: .regularExpression),
                "only the 6028 event may be added")
        #expect(try await setup.idsync(["events", "--id", "6028"]).stdout.contains("corrupt"))
    }

    @Test("key rotate keeps old terms readable; --reencrypt moves everything and drops unused terms")
    func rotation() async throws {
        let setup = try await VaultedInstallation.make()
        defer { Task { await setup.cleanUp() } }
        try await setup.configure()
        let first = try await setup.idsync(["key", "rotate"])
        #expect(first.stdout.contains("new term 2; 0 secrets re-encrypted"), "\(first.output)")
        var shown = try await setup.idsync(["key", "show"])
        #expect(shown.stdout.contains("1 created") && shown.stdout.contains("2 (active)"), "\(shown.output)")
        #expect(shown.stdout.contains("vault, term 1  readable"), "\(shown.output)")
        #expect(try await setup.idsync(["sync"]).status == 0)

        let second = try await setup.idsync(["key", "rotate", "--reencrypt"])
        #expect(second.stdout.contains("new term 3; 2 secrets re-encrypted; dropped terms 1, 2"), "\(second.output)")
        shown = try await setup.idsync(["key", "show"])
        #expect(shown.stdout.contains("terms:     3 (active)") && !shown.stdout.contains("term 1"), "\(shown.output)")
        #expect(try await setup.idsync(["sync"]).status == 0)

        // Refused while the service runs.
        try expectSuccess(await setup.install.startService())
        let refused = try await setup.idsync(["key", "rotate"])
        #expect(refused.status != 0 && refused.stderr.contains("refused: the idsync service is running"), "\(refused.output)")
    }
}

/// An SQL string literal.
func sqlQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
