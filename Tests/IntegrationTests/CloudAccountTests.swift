import Foundation
import IDSyncTesting
import LDAP
import Testing

/// Issue 4's acceptance against Canaille: `cloud-account reinit` registers the sync service's client with
/// a tenant admin's credential; sync writes through Canaille's SCIM dialect; rotation and recovery retire
/// the previous client; failures change nothing.
@Suite("Cloud service account: OAuth 2.0 client credentials against Canaille", .hangGuard)
struct CloudAccountTests {
    @Test("from nothing: reinit registers the client; sync writes users and groups; a second full sync duplicates nothing")
    func fromNothing() async throws {
        let setup = try await CanailleSetup.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            let reinit = try await setup.reinit()
            #expect(reinit.status == 0, "\(reinit.output)")
            #expect(reinit.stdout.contains("new client"), "\(reinit.output)")

            // With the registered client, the probe gets a token and reads what Canaille says of itself.
            let probe = try await setup.idsync(["connector", "probe", "cloud"])
            print("probe Canaille:\n\(probe.output)")
            #expect(probe.status == 0, "\(probe.output)")
            // Canaille says it cannot filter (and ignores a filter it is sent): the export lists it instead.
            #expect(probe.stdout.contains("  filter:          no") && probe.stdout.contains("  bulk:            no"), "\(probe.output)")
            #expect(probe.stdout.contains("looked for in one listing of the target per run"), "\(probe.output)")
            let client = try await setup.currentClient()
            #expect(!probe.output.contains(client.secret), "the client secret is in the probe's output")

            let first = try await setup.idsync(["sync"])
            #expect(first.status == 0, "\(first.output)")
            var users = try await setup.cloudUsers()
            let synced = users.filter { ($0["userName"] as? String)?.hasSuffix("@\(setup.dc.upnSuffix)") == true }
            #expect(synced.count == 6, "users in Canaille: \(users.map { $0["userName"] ?? "?" })")
            let u4 = try #require(synced.first { $0["userName"] as? String == setup.directory.upn(4) })
            #expect((u4["name"] as? [String: Any])?["familyName"] as? String == "Family4")
            #expect((u4["emails"] as? [[String: Any]])?.first?["value"] as? String == "\(setup.directory.upn(4).split(separator: "@")[0])@example.com")
            #expect(u4["active"] as? Bool == true)
            #expect(synced.first { $0["userName"] as? String == setup.directory.upn(3) }?["active"] as? Bool == false)
            let groups = try await setup.cloudGroups()
            #expect(Set(groups.compactMap { $0["displayName"] as? String }).isSuperset(of: ["Engineering", "Sales", "All Staff", "Nested Parent", "Empty"]))
            // Canaille names members by userName.
            let engineering = try #require(groups.first { $0["displayName"] as? String == "Engineering" })
            #expect(Set((engineering["members"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String })
                    == Set((0..<6).map(setup.directory.upn)))

            // Canaille ignores filters and drops externalId: a second full sync must still create nothing and
            // join nothing wrongly (its own admin user stays unjoined).
            let before = users.count
            let second = try await setup.idsync(["sync", "--full"])
            #expect(second.status == 0, "\(second.output)")
            users = try await setup.cloudUsers()
            #expect(users.count == before, "a second sync changed the number of users")
            let exportLine = try #require(second.stdout.split(separator: "\n").first { $0.hasPrefix("cloud") })
            // CONNECTOR PROFILE STARTED(date time) TIME ADDS UPDATES DELETES ERRORS RESULT
            #expect(exportLine.split(separator: " ").filter { !$0.isEmpty }[5...8] == ["0", "0", "0", "0"], "\(exportLine)")
            let admin = try await setup.idsync(["mv", "search", "userPrincipalName=admin"])
            #expect(admin.status != 0, "Canaille's admin was joined to something: \(admin.output)")

            // A membership change on Canaille, which cannot remove a member by a value filter.
            try await setup.dc.modify(setup.directory.groups["Engineering"]!, [LDAPModification(.delete, "member", [Array(utf8: setup.directory.users[0])])])
            let third = try await setup.idsync(["sync"])
            #expect(third.status == 0, "\(third.output)")
            let after = try #require(try await setup.cloudGroups().first { $0["displayName"] as? String == "Engineering" })
            #expect(Set((after["members"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }) == Set((1..<6).map(setup.directory.upn)))
        }
    }

    @Test("rotation: reinit on a working setup gives a new client; Canaille rejects the previous secret; sync works")
    func rotation() async throws {
        let setup = try await CanailleSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try expectSuccess(await setup.reinit())
            try expectSuccess(await setup.idsync(["sync"]))
            let old = try await setup.currentClient()
            #expect(try await setup.canaille.tokenWorks(clientID: old.id, secret: old.secret))

            let rotated = try await setup.reinit()
            #expect(rotated.status == 0, "\(rotated.output)")
            #expect(rotated.stdout.contains("the previous client \(old.id) was retired"), "\(rotated.output)")
            let new = try await setup.currentClient()
            #expect(new.id != old.id)
            #expect(try await setup.canaille.tokenWorks(clientID: new.id, secret: new.secret))
            #expect(try await !setup.canaille.tokenWorks(clientID: old.id, secret: old.secret), "the previous secret still works")

            try await setup.dc.addUser(in: setup.directory.ou, cn: "Rotated In", sam: "rot-\(setup.serviceSAM)",
                                       attributes: ["sn": ["In"], "mail": ["rot@example.com"]])
            try expectSuccess(await setup.idsync(["sync"]))
            #expect(try await setup.cloudUsers().contains { $0["userName"] as? String == "rot-\(setup.serviceSAM)@\(setup.dc.upnSuffix)" })
            #expect(try await setup.idsync(["events", "--id", "6520"]).stdout.contains("was retired"))
        }
    }

    @Test("after key abandon: secrets unrecoverable; reinit with admin and management credentials brings a working client")
    func afterAbandon() async throws {
        let setup = try await CanailleSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try expectSuccess(await setup.reinit())
            try expectSuccess(await setup.idsync(["sync"]))
            let old = try await setup.currentClient()

            try expectSuccess(await setup.idsync(["key", "abandon", "--yes"]))
            let shown = try await setup.idsync(["key", "show"])
            #expect(shown.stdout.contains("cloud         client_secret  vault") && shown.stdout.contains("RE-ENTER (idsync cloud-account reinit"),
                    "\(shown.output)")
            let failing = try await setup.idsync(["sync"])
            #expect(failing.status == 1 && failing.stderr.contains("cloud:") && failing.stderr.contains("unrecoverable"), "\(failing.output)")

            // Without a management credential: a working client, and the old one named as still registered.
            try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test"], stdin: setup.directory.bindPassword + "\n"))
            let withoutManagement = try await setup.reinit()
            #expect(withoutManagement.status == 0, "\(withoutManagement.output)")
            #expect(withoutManagement.stdout.contains("the previous client \(old.id) is still registered"), "\(withoutManagement.output)")
            #expect(try await setup.canaille.tokenWorks(clientID: old.id, secret: old.secret))

            // Abandoned again, then with the provider's management credential for that old client: retired.
            try expectSuccess(await setup.idsync(["key", "abandon", "--yes"]))
            try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test"], stdin: setup.directory.bindPassword + "\n"))
            let previous = try await runChecked(["sqlite3", setup.install.databasePath, "SELECT client_id FROM client_registrations"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let management = try await setup.canaille.managementToken(clientID: previous)
            let withManagement = try await setup.reinit(management: management)
            #expect(withManagement.status == 0, "\(withManagement.output)")
            #expect(withManagement.stdout.contains("the previous client \(previous) was retired"), "\(withManagement.output)")
            let current = try await setup.currentClient()
            #expect(try await setup.canaille.tokenWorks(clientID: current.id, secret: current.secret))
            try expectSuccess(await setup.idsync(["sync"]))
        }
    }

    @Test("the whole seed procedure against Samba AD and Canaille: reset, 1069, 6028, abandon, re-enter, reinit, start")
    func seedProcedureWithCanaille() async throws {
        let setup = try await CanailleSetup.make(users: 2)
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try expectSuccess(await setup.reinit())
            try expectSuccess(await setup.install.startService())
            #expect(try await eventually(timeout: .seconds(30)) {
                try await setup.cloudUsers().contains { $0["userName"] as? String == setup.directory.upn(0) }
            }.held)
            let oldClient = try await setup.currentClient()

            let newPassword = SambaDC.randomPassword()
            try await setup.dc.sambaTool(["user", "setpassword", setup.serviceSAM, "--newpassword=\(newPassword)"])
            try expectSuccess(await setup.install.stopService())
            #expect(try await setup.install.startService().stderr.contains("Error 1069"))
            try expectSuccess(await setup.idsync(["service", "set-account", "--account", setup.serviceUPN], stdin: newPassword + "\n"))
            #expect(try await setup.install.startService().stderr.contains("-21451857952"))

            // miiskmu /a; the AD DS connector's password; Add-ADSyncAADServiceAccount; start.
            try expectSuccess(await setup.idsync(["key", "abandon", "--yes"]))
            try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test"], stdin: setup.directory.bindPassword + "\n"))
            try expectSuccess(await setup.reinit(management: try await setup.canaille.managementToken(clientID: oldClient.id)))
            let started = try await setup.install.startService()
            #expect(started.status == 0, "\(started.output)")
            #expect(try await !setup.canaille.tokenWorks(clientID: oldClient.id, secret: oldClient.secret))

            try await setup.dc.addUser(in: setup.directory.ou, cn: "After Seed", sam: "seed-\(setup.serviceSAM)",
                                       attributes: ["sn": ["Seed"], "mail": ["seed@example.com"]])
            let arrived = try await eventually(timeout: .seconds(30)) {
                let client = try await setup.currentClient(servicePassword: newPassword)
                let users = try await setup.canaille.scimResources("Users", clientID: client.id, secret: client.secret)
                return users.contains { $0["userName"] as? String == "seed-\(setup.serviceSAM)@\(setup.dc.upnSuffix)" }
            }
            #expect(arrived.held, "a user added after the recovery did not reach Canaille")
        }
    }

    @Test("a wrong admin credential, an unreachable IAM, registration disabled: a clear error and the vault unchanged")
    func failures() async throws {
        let setup = try await CanailleSetup.make(users: 1)
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try expectSuccess(await setup.reinit())
            var before = try await setup.install.databaseDump()
            let stripEvents = { (dump: String?) in dump?.replacingOccurrences(of: #"INSERT INTO events.*\n"#, with: "", options: .regularExpression) }

            let forged = try await setup.idsync(["cloud-account", "reinit", "--connector", "cloud"], stdin: "eyJhbGciOiJub25lIn0.e30.forged\n")
            #expect(forged.status == 1)
            #expect(forged.stderr.contains("refused the registration") && forged.stderr.contains("nothing was changed"), "\(forged.output)")
            #expect(stripEvents(try await setup.install.databaseDump()) == stripEvents(before))

            let token = try await setup.canaille.registrationToken()
            try await setup.canaille.stop()
            let down = try await setup.idsync(["cloud-account", "reinit", "--connector", "cloud"], stdin: token + "\n")
            #expect(down.status == 1)
            #expect(down.stderr.contains("cannot reach the identity provider"), "\(down.output)")
            #expect(stripEvents(try await setup.install.databaseDump()) == stripEvents(before))

            // An identity provider without dynamic registration: its metadata has no registration_endpoint.
            // (Its token endpoint on its own origin: discovered endpoints elsewhere are refused before this check.)
            let noRegistration = try await ScriptedHTTPServer(script: [])
            noRegistration.append([.init(status: 200, headers: [("Content-Type", "application/json")],
                                         body: #"{"issuer":"x","token_endpoint":"\#(noRegistration.url)/token"}"#)])
            cleanup.add { try await noRegistration.stop() }
            try setup.install.writeConfig(try setup.install.config().replacingOccurrences(of: setup.canaille.url, with: noRegistration.url))
            before = try await setup.install.databaseDump()
            let disabled = try await setup.idsync(["cloud-account", "reinit", "--connector", "cloud"], stdin: token + "\n")
            #expect(disabled.status == 1)
            #expect(disabled.stderr.contains("dynamic client registration is disabled"), "\(disabled.output)")
            #expect(stripEvents(try await setup.install.databaseDump()) == stripEvents(before))
        }
    }
}

@Suite("Cloud service account: bearer-token targets and secret hygiene", .hangGuard)
struct CloudAccountExtraTests {
    @Test("against a bearer-token target, reinit explains that the provider issues the token, and stores the new one")
    func bearerTarget() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let result = try await setup.idsync(["cloud-account", "reinit", "--connector", "cloud"], stdin: setup.scim.token + "\n")
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stderr.contains("only the SCIM provider can issue"), "\(result.output)")
            #expect(try await setup.idsync(["sync"]).status == 0)
        }
    }

    @Test("admin credentials and client secrets appear in no output and no file idsync wrote")
    func noCredentialsInTheClear() async throws {
        let setup = try await CanailleSetup.make(users: 1)
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            let admin = try await setup.canaille.registrationToken()
            let first = try await setup.idsync(["cloud-account", "reinit", "--connector", "cloud", "--verbose"], stdin: admin + "\n")
            let firstClient = try await setup.currentClient()
            let management = try await setup.canaille.managementToken(clientID: firstClient.id)
            let second = try await setup.reinit(management: management)
            let client = try await setup.currentClient()
            var outputs = [first.output, second.output]
            for command in [["sync", "--verbose"], ["key", "show"], ["events"], ["connector", "show", "cloud"]] {
                outputs.append(try await setup.idsync(command).output)
            }
            let secrets = [admin, management, firstClient.secret, client.secret]
            let files = try FileManager.default.contentsOfDirectory(atPath: setup.install.directory.path)
                .filter { !["adconn.password", "service.password"].contains($0) && !$0.hasPrefix("mgmt-") }
            for secret in secrets {
                for output in outputs { #expect(!output.contains(secret), "a credential in command output") }
                for file in files {
                    let data = try Data(contentsOf: URL(fileURLWithPath: setup.install.directory.file(file)))
                    #expect(data.range(of: Data(secret.utf8)) == nil, "a credential in \(file)")
                }
            }
        }
    }
}
