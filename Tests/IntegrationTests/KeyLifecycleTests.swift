import Foundation
import IDSyncTesting
import Testing

/// Key export/import onto a copy, tamper detection, and rotation, through the CLI against real servers.
@Suite("Server key: export, import, tampering, rotation", .hangGuard)
struct KeyLifecycleTests {
    @Test("key export on one database, key import on a copy with another service account → the copy starts")
    func exportImportOnACopy() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
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
            cleanup.add { _ = try await standby.stopService() }
            try await runChecked(["sqlite3", setup.install.databasePath, ".backup '\(standby.databasePath)'"])
            // sqlite3 creates the copy by its umask; idsync refuses a database others can read.
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: standby.databasePath)
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
    }

    @Test("a flipped byte, swapped records, a corrupt wrapper: detected, clearly reported, nothing overwritten")
    func tampering() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
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
    }

    @Test("key rotate keeps old terms readable; --reencrypt moves everything and drops unused terms")
    func rotation() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
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
}

/// The lifecycle's hardening on a real installation: a stale export refused, a replayed record caught, old
/// key material erased from the database files.
extension KeyLifecycleTests {
    func sealed(_ setup: VaultedInstallation, _ connector: String) async throws -> String {
        try await runChecked(["sqlite3", setup.install.databasePath, "SELECT hex(sealed) FROM vault_credentials WHERE connector = '\(connector)'"])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The vault's key material as SQLite stores it: each sealed record's bytes, the wrapper's salt as JSON.
    func material(_ setup: VaultedInstallation) async throws -> [Data] {
        let records = try await [sealed(setup, "contoso.test"), sealed(setup, "cloud")].map { hex in
            Data(stride(from: 0, to: hex.count, by: 2).map { offset in
                let start = hex.index(hex.startIndex, offsetBy: offset)
                return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
            })
        }
        let keySet = try await runChecked(["sqlite3", setup.install.databasePath, "SELECT keyset FROM vault_keyset"]).stdout
        let json = try #require(try JSONSerialization.jsonObject(with: Data(keySet.utf8)) as? [String: Any])
        let salt = try #require((json["wrappers"] as? [[String: Any]])?.first?["salt"] as? [Int])
        return records + [Data("\"salt\":[\(salt.map(String.init).joined(separator: ","))]".utf8)]
    }

    /// Which of `needles` the database file or its write-ahead log holds.
    func present(_ needles: [Data], in setup: VaultedInstallation) throws -> Int {
        let files = try [setup.install.databasePath, setup.install.databasePath + "-wal"]
            .filter { FileManager.default.fileExists(atPath: $0) }.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        return needles.filter { needle in files.contains { $0.range(of: needle) != nil } }.count
    }

    @Test("an export taken before key rotate is refused by key import, naming the term; every secret stays readable")
    func staleExportRefused() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let keyFile = setup.install.directory.file("before-rotate.export")
            let passphrase = try setup.secretFile("pp", "an export passphrase \(UUID().uuidString.prefix(6))")
            try expectSuccess(await setup.idsync(["key", "export", "--file", keyFile, "--passphrase-file", passphrase]))
            try expectSuccess(await setup.idsync(["key", "rotate", "--reencrypt"]))
            let before = try await setup.install.databaseDump()

            let refused = try await setup.idsync(["key", "import", "--file", keyFile, "--passphrase-file", passphrase])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.stderr.contains("older than the key set in the database") && refused.stderr.contains("lacks term 2, which stored secrets use")
                    && refused.stderr.contains("nothing was changed"), "\(refused.output)")
            #expect(try await setup.install.databaseDump() == before, "a refused import changed the store")
            let shown = try await setup.idsync(["key", "show"])
            #expect(shown.stdout.contains("unlocks:   yes"), "\(shown.output)")
            #expect(shown.stdout.split(separator: "\n").filter { $0.contains("vault, term 2") && $0.contains("readable") && !$0.contains("RE-ENTER") }.count == 2,
                    "\(shown.output)")
            let sync = try await setup.idsync(["sync"])
            #expect(sync.status == 0, "\(sync.output)")
        }
    }

    @Test("the SCIM token put back from before connector set-password is detected as tampered")
    func replayedRecord() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let old = try await sealed(setup, "cloud")
            try expectSuccess(await setup.idsync(["connector", "set-password", "cloud"], stdin: setup.scim.token + "\n"))
            let current = try await sealed(setup, "cloud")
            #expect(current != old)

            try await runChecked(["sqlite3", setup.install.databasePath, "UPDATE vault_credentials SET sealed = X'\(old)' WHERE connector = 'cloud'"])
            let shown = try await setup.idsync(["key", "show"])
            #expect(shown.stdout.contains("the stored token of connector cloud fails its integrity check")
                    && shown.stdout.contains("replaced by an older copy"), "\(shown.output)")
            let sync = try await setup.idsync(["sync"])
            #expect(sync.status == 1 && sync.stderr.contains("cloud:") && sync.stderr.contains("fails its integrity check"), "\(sync.output)")

            try await runChecked(["sqlite3", setup.install.databasePath, "UPDATE vault_credentials SET sealed = X'\(current)' WHERE connector = 'cloud'"])
            #expect(try await setup.idsync(["sync"]).status == 0)
        }
    }

    @Test("key import of a file asking for scrypt N=2^22 r=32 p=16, or listing a term twice: refused in under a second of CPU and 200 MB")
    func hostileKeyFilesRefused() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let exported = setup.install.directory.file("good.export")
            let passphrase = try setup.secretFile("pp", "an export passphrase \(UUID().uuidString.prefix(6))")
            try expectSuccess(await setup.idsync(["key", "export", "--file", exported, "--passphrase-file", passphrase]))
            let good = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exported))) as? [String: Any])
            func edited(_ name: String, _ edit: (inout [String: Any]) throws -> Void) throws -> String {
                var keySet = try #require(good["keySet"] as? [String: Any])
                try edit(&keySet)
                var file = good
                file["keySet"] = keySet
                return try setup.install.directory.write(name, String(decoding: try JSONSerialization.data(withJSONObject: file), as: UTF8.self))
            }
            let hostile = [
                ("N=2^22, r=32, p=16", try edited("huge.export") { keySet in
                    var wrappers = try #require(keySet["wrappers"] as? [[String: Any]])
                    wrappers[0]["parameters"] = ["logN": 22, "r": 32, "p": 16]
                    keySet["wrappers"] = wrappers
                }, "exceed idsync's bounds"),
                ("a term listed twice", try edited("twice.export") { keySet in
                    let terms = try #require(keySet["terms"] as? [[String: Any]])
                    keySet["terms"] = terms + terms
                }, "term 1 listed twice"),
            ]
            let before = try await setup.install.databaseDump()
            for (what, file, message) in hostile {
                var environment = ProcessInfo.processInfo.environment
                environment["IDSYNC_CONFIG"] = setup.install.configPath
                // CPU seconds and peak memory of the import alone, as the kernel counts them.
                let result = try await runProcess(["/usr/bin/time", "-f", "cost %U %S %M", Repository.idsyncBinary,
                                                   "key", "import", "--file", file, "--passphrase-file", passphrase], environment: environment)
                #expect(result.status == 1 && result.stderr.contains(message) && result.stderr.contains("nothing was changed"),
                        "\(what): \(result.output)")
                let cost = try #require(result.stderr.split(separator: "\n").last { $0.hasPrefix("cost ") }?.split(separator: " ").dropFirst()
                    .compactMap { Double($0) })
                try #require(cost.count == 3, "\(result.stderr)")
                #expect(cost[0] + cost[1] < 1, "\(what): \(cost[0] + cost[1]) s of CPU")
                #expect(cost[2] < 200 * 1024, "\(what): \(Int(cost[2]) / 1024) MB")
                print("hostile key file (\(what)): refused after \(String(format: "%.2f", cost[0] + cost[1])) s of CPU, "
                      + "peak \(Int(cost[2]) / 1024) MB")
            }
            #expect(try await setup.install.databaseDump() == before)
            #expect(try await setup.idsync(["sync"]).status == 0)
        }
    }

    @Test("after key rotate --reencrypt and key abandon, the old records and wrapper are not in the database files")
    func oldMaterialErased() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let original = try await material(setup)
            #expect(try present(original, in: setup) == original.count, "the search must find the current material")
            try expectSuccess(await setup.idsync(["key", "rotate", "--reencrypt"]))
            #expect(try present(original, in: setup) == 0, "key material from before key rotate --reencrypt is still in the database")

            let rotated = try await material(setup)
            #expect(try present(rotated, in: setup) == rotated.count)
            try expectSuccess(await setup.idsync(["key", "abandon", "--yes"]))
            #expect(try present(rotated, in: setup) == 0, "key material from before key abandon is still in the database")
        }
    }
}

/// An SQL string literal.
func sqlQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
