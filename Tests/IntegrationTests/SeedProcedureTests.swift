import Foundation
import IDSyncTesting
import LDAP
import Testing

/// Issue 3's acceptance: the seed document replayed against a real Samba AD DC — the service account's
/// password reset behind idsync's back, the failures with the seed's ids and messages, the recovery
/// procedure, and the paths Windows lacked.
@Suite("The seed: service account, server encryption key, recovery", .hangGuard)
struct SeedProcedureTests {
    @Test("reset → 1069/7038 → set-account → 6028/-21451857952 → abandon → re-enter → running again")
    func seedProcedure() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()

            // 1. The service runs and syncs.
            let started = try await setup.install.startService()
            #expect(started.status == 0, "\(started.output)")
            let synced = try await eventually(timeout: .seconds(30)) { try await setup.targetHasUser(setup.directory.upn(0)) }
            #expect(synced.held, "the running service did not sync")

            // (4, first half) key abandon is refused while the service runs.
            let refused = try await setup.idsync(["key", "abandon", "--yes"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("refused: the idsync service is running"), "\(refused.output)")

            // 2. The password is reset in AD; the service cannot log on: 1069, event 7038.
            let newPassword = SambaDC.randomPassword()
            try await setup.resetInDirectory(to: newPassword)
            try expectSuccess(await setup.install.stopService())
            let logonFailure = try await setup.install.startService()
            #expect(logonFailure.status != 0)
            #expect(logonFailure.stderr.contains("Error 1069: The service did not start due to a logon failure."), "\(logonFailure.output)")
            let event7038 = try await setup.idsync(["events", "--id", "7038"])
            #expect(event7038.stdout.contains("The idsync service was unable to log on as \(setup.serviceUPN) with the currently "
                                              + "configured password due to the following error: The user name or password is incorrect."),
                    "\(event7038.output)")

            // 3. The new password is given to idsync; the key it protected cannot be unwrapped: 6028, -21451857952.
            try expectSuccess(await setup.idsync(["service", "set-account", "--account", setup.serviceUPN,
                                                  "--password-file", try setup.secretFile("svc-new", newPassword)]))
            let keyFailure = try await setup.install.startService()
            #expect(keyFailure.status != 0)
            #expect(keyFailure.stderr.contains("-21451857952"), "\(keyFailure.output)")
            let event6028 = try await setup.idsync(["events", "--id", "6028"])
            #expect(event6028.stdout.contains("The server encryption key cannot be accessed."), "\(event6028.output)")
            let status = try await setup.idsync(["service", "status"])
            #expect(status.stdout.contains("error code:  -21451857952"), "\(status.output)")

            // 4. Stopped: abandon succeeds; key show lists the secrets to re-enter.
            let abandoned = try await setup.idsync(["key", "abandon", "--yes"])
            #expect(abandoned.status == 0, "\(abandoned.output)")
            #expect(abandoned.stdout.contains("contoso.test: password") && abandoned.stdout.contains("cloud: token"), "\(abandoned.output)")
            let shown = try await setup.idsync(["key", "show"])
            #expect(shown.stdout.contains("RE-ENTER"), "\(shown.output)")
            #expect(shown.stdout.split(separator: "\n").filter { $0.contains("RE-ENTER") }.count == 2, "\(shown.output)")

            // 5. The AD connector password and the SCIM token entered again → the service starts and syncs.
            try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test",
                                                  "--password-file", try setup.secretFile("adconn", setup.directory.bindPassword)]))
            try expectSuccess(await setup.idsync(["connector", "set-password", "cloud"], stdin: setup.scim.token + "\n"))
            let restarted = try await setup.install.startService()
            #expect(restarted.status == 0, "\(restarted.output)")
            try await setup.dc.addUser(in: setup.directory.ou, cn: "After Recovery", sam: "after-\(setup.serviceSAM)")
            let arrived = try await eventually(timeout: .seconds(30)) {
                try await setup.targetHasUser("after-\(setup.serviceSAM)@\(setup.dc.upnSuffix)")
            }
            #expect(arrived.held, "a user added in AD after the recovery did not reach the SCIM server")
            print("seed procedure: a user added after recovery arrived after \(arrived.after)")
        }
    }

    @Test("service change-password: the directory and the key change together; nothing to re-enter")
    func changePassword() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            try expectSuccess(await setup.install.startService())

            // change-password refuses beside the running service (PasswordChangeRaceTests): stopped first.
            try expectSuccess(await setup.install.stopService())
            let newPassword = SambaDC.randomPassword()
            let changed = try await setup.idsync(["service", "change-password", "--new-password-file", try setup.secretFile("next", newPassword)])
            #expect(changed.status == 0, "\(changed.output)")
            let restarted = try await setup.install.startService()
            #expect(restarted.status == 0, "\(restarted.output)")
            let shown = try await setup.idsync(["key", "show"])
            #expect(!shown.stdout.contains("RE-ENTER") && shown.stdout.contains("unlocks:   yes"), "\(shown.output)")
            #expect(try await setup.idsync(["events", "--id", "6506"]).stdout.contains("nothing needs to be entered again"))
            // The directory really has the new password, and only it.
            try await expectLogon(setup, password: newPassword, succeeds: true)
            try await expectLogon(setup, password: setup.servicePassword, succeeds: false)
        }
    }

    @Test("key recover: a reset elsewhere, then the previous password brings the key back")
    func recoverWithPreviousPassword() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let newPassword = SambaDC.randomPassword()
            try await setup.resetInDirectory(to: newPassword)
            try expectSuccess(await setup.idsync(["service", "set-account", "--account", setup.serviceUPN,
                                                  "--password-file", try setup.secretFile("svc-new", newPassword)]))
            #expect(try await setup.install.startService().stderr.contains("-21451857952"))
            let wrong = try await setup.idsync(["key", "recover", "--previous-password-file", try setup.secretFile("nope", "Not-It-1")])
            #expect(wrong.status != 0 && wrong.stderr.contains("nothing was changed"), "\(wrong.output)")
            let recovered = try await setup.idsync(["key", "recover", "--previous-password-file", try setup.secretFile("prev", setup.servicePassword)])
            #expect(recovered.status == 0, "\(recovered.output)")
            let started = try await setup.install.startService()
            #expect(started.status == 0, "\(started.output)")
        }
    }

    func expectLogon(_ setup: VaultedInstallation, password: String, succeeds: Bool) async throws {
        let connection = try await LDAPConnection.connect(setup.dc.connectionOptions())
        try await withCleanup { cleanup in
            cleanup.add { await connection.close() }
            do {
                try await connection.simpleBind(dn: setup.serviceUPN, password: password)
                #expect(succeeds, "the directory accepted a password it should refuse")
            } catch let error as LDAPError where error.isInvalidCredentials {
                #expect(!succeeds, "the directory refused the password: \(error)")
            }
        }
    }
}
