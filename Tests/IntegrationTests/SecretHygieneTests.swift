import Foundation
import IDSyncTesting
import Testing

/// No secret in any output, log, or file idsync wrote.
@Suite("Secrets stay secret", .hangGuard)
struct SecretHygieneTests {
    @Test("the bind password and the token appear in no output and no file idsync wrote")
    func noSecretsAnywhere() async throws {
        let setup = try await SyncSetup.make(users: 3)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (directory, scim, install) = (setup.directory, setup.scim, setup.install)
            let secrets = [directory.bindPassword, scim.token]

            var outputs: [String] = []
            for command in [["sync", "--verbose"], ["sync", "--full", "--verbose"], ["runs", "--errors"], ["connector", "list"],
                            ["connector", "show", "contoso.test"], ["connector", "show", "cloud"],
                            ["mv", "search", "userPrincipalName=\(directory.upn(0))"],
                            ["cs", "show", "contoso.test", "--dn", directory.users[0]]] {
                let result = try await install.idsync(command)
                #expect(result.status == 0, "\(command): \(result.output)")
                outputs.append(result.output)
            }
            // A failing run too: errors are where secrets tend to leak.
            try install.directory.write("cloud.token", "wrong-\(scim.token)\n")
            outputs.append(try await install.idsync(["sync", "--verbose"]).output)

            // Every file in the installation except the two secret files the admin wrote, database included
            // (WAL and shared-memory files too, when they exist).
            let written = try FileManager.default.contentsOfDirectory(atPath: install.directory.path)
                .filter { !["adconn.password", "cloud.token"].contains($0) }
            #expect(written.contains("idsync.sqlite"))
            for secret in secrets {
                for output in outputs { #expect(!output.contains(secret), "a secret in command output") }
                for file in written {
                    let data = try Data(contentsOf: URL(fileURLWithPath: install.directory.file(file)))
                    #expect(data.range(of: Data(secret.utf8)) == nil, "a secret in \(file)")
                }
            }
            // The database is not readable by others.
            let attributes = try FileManager.default.attributesOfItem(atPath: install.databasePath)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
            #expect(mode & 0o077 == 0, "idsync.sqlite is mode \(String(mode, radix: 8))")
        }
    }
}

@Suite("Secrets stay secret: the vault's whole lifecycle", .hangGuard)
struct VaultSecretHygieneTests {
    @Test("service passwords, connector secrets and the export passphrase appear nowhere idsync writes")
    func noSecretsThroughTheKeyLifecycle() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            let newServicePassword = SambaDC.randomPassword()
            let passphrase = "export passphrase \(UUID().uuidString)"
            let secrets = [setup.servicePassword, newServicePassword, setup.directory.bindPassword, setup.scim.token, passphrase]

            var outputs: [String] = []
            func run(_ arguments: [String], stdin: String? = nil, mustSucceed: Bool = true) async throws {
                let result = try await setup.idsync(arguments, stdin: stdin)
                if mustSucceed { #expect(result.status == 0, "\(arguments): \(result.output)") }
                outputs.append(result.output)
            }
            try await setup.configure()
            try await run(["sync", "--verbose"])
            let started = try await setup.install.startService()
            outputs.append(started.output)
            _ = try await eventually(timeout: .seconds(20)) { try await setup.targetHasUser(setup.directory.upn(0)) }
            let newPasswordFile = try setup.secretFile("new", newServicePassword)
            // change-password refuses beside the running service (PasswordChangeRaceTests): stopped first.
            outputs.append(try await setup.install.stopService().output)
            try await run(["service", "change-password", "--new-password-file", newPasswordFile, "--verbose"])
            try await run(["service", "status"])
            let keyFile = setup.install.directory.file("key.export")
            try await run(["key", "export", "--file", keyFile, "--passphrase-file", try setup.secretFile("pp", passphrase)])
            try await run(["key", "import", "--file", keyFile], stdin: "wrong " + passphrase + "\n", mustSucceed: false)
            try await run(["key", "import", "--file", keyFile], stdin: passphrase + "\n")
            try await run(["key", "rotate", "--reencrypt"])
            try await run(["key", "show"])
            try await run(["connector", "show", "contoso.test"])
            try await run(["connector", "show", "cloud"])
            // The seed's recovery: the account given again, the key abandoned, both connector secrets re-entered.
            try await run(["service", "set-account", "--account", setup.serviceUPN, "--password-file", newPasswordFile])
            try await run(["key", "abandon", "--yes"])
            try await run(["connector", "set-password", "contoso.test"], stdin: setup.directory.bindPassword + "\n")
            try await run(["connector", "set-password", "cloud"], stdin: setup.scim.token + "\n")
            try await run(["sync", "--verbose"])
            try await run(["events", "--last", "500"])
            try await run(["runs", "--errors"])
            try await run(["errors"])
            try await run(["pending-exports"])
            try await run(["cs", "show", "contoso.test", "--dn", setup.directory.users[0]])
            try await run(["mv", "search", "userPrincipalName=\(setup.directory.upn(0))"])

            // Files the test itself wrote hold secrets by design; so does service.password, the one plaintext
            // copy idsync keeps (the service reads it to log on), which must be 0600.
            let testWritten: Set<String> = ["adconn.password", "cloud.token", "service.password"]
            let files = try FileManager.default.contentsOfDirectory(atPath: setup.install.directory.path)
                .filter { !testWritten.contains($0) && !$0.hasPrefix("given-") }
            #expect(files.contains("idsync.sqlite") && files.contains("idsync-service.log") && files.contains("key.export"))
            for secret in secrets {
                for (index, output) in outputs.enumerated() { #expect(!output.contains(secret), "a secret in output #\(index)") }
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: setup.install.directory.file(file)))
                    #expect(data.range(of: Data(secret.utf8)) == nil, "a secret in \(file)")
                }
            }
            for file in files + ["service.password"] {
                let mode = (try FileManager.default.attributesOfItem(atPath: setup.install.directory.file(file))[.posixPermissions] as? NSNumber)?.intValue ?? 0
                #expect(mode & 0o077 == 0, "\(file) is mode \(String(mode, radix: 8))")
            }
            let stored = try String(contentsOfFile: setup.install.directory.file("service.password"), encoding: .utf8)
            #expect(stored == newServicePassword + "\n")
        }
    }
}
