import Foundation
import IDSyncTesting
import Testing

/// What the target already holds is matched, never duplicated: by externalId, then by userName when the
/// target object carries no anchor; one anchored to another object is not taken over.
@Suite("First contact with a populated target", .hangGuard)
struct FirstContactTests {
    @Test("a lost database: a new installation joins every object by externalId and creates nothing")
    func rejoinAfterLostDatabase() async throws {
        let setup = try await SyncSetup.make(users: 12)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (scim, install) = (setup.scim, setup.install)
            #expect(try await install.idsync(["sync"]).status == 0)
            let before = try await scim.users().count + scim.groups().count

            try FileManager.default.removeItem(atPath: install.databasePath)
            let mark = try scim.requests().count
            let again = try await install.idsync(["sync"])
            #expect(again.status == 0, "\(again.output)")
            #expect(try scim.writes(since: mark).filter { $0.method == "POST" } == [], "objects were created again")
            #expect(try await scim.users().count + scim.groups().count == before)
            // And the new database now knows them: the next sync writes nothing.
            let mark2 = try scim.requests().count
            #expect(try await install.idsync(["sync"]).status == 0)
            #expect(try scim.writes(since: mark2) == [])
        }
    }

    @Test("soft match by userName joins an unanchored user; an anchored one is quarantined, the rest sync")
    func softMatchAndQuarantine() async throws {
        let setup = try await SyncSetup.make(users: 4)
        try await withCleanup { cleanup in
            cleanup.add { await setup.stop() }
            let (dc, directory, scim, install) = (setup.dc, setup.directory, setup.scim, setup.install)
            // Created "by someone else" before idsync's first run.
            let unanchored = try await scim.request("POST", "Users", json: """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\(directory.upn(0))","displayName":"old name"}
                """)
            let unanchoredID = try #require((try JSONSerialization.jsonObject(with: Data(unanchored.utf8)) as? [String: Any])?["id"] as? String)
            let foreign = try await scim.request("POST", "Users", json: """
                {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"\(directory.upn(1))",
                 "externalId":"someone-elses-anchor","displayName":"not ours"}
                """)
            let foreignID = try #require((try JSONSerialization.jsonObject(with: Data(foreign.utf8)) as? [String: Any])?["id"] as? String)

            let result = try await install.idsync(["sync"])
            #expect(result.status == 2, "a run with a quarantined object completes with errors:\n\(result.output)")

            let users = try await scim.users()
            #expect(users.count == 4, "no duplicate was created")
            let joined = try #require(users.first { $0.string("id") == unanchoredID })
            #expect(joined.string("externalId") == (try await dc.objectGUID(of: directory.users[0])))
            #expect(joined.string("displayName") == "User 0")
            let untouched = try #require(users.first { $0.string("id") == foreignID })
            #expect(untouched.string("externalId") == "someone-elses-anchor")
            #expect(untouched.string("displayName") == "not ours")
            for index in [2, 3] { #expect(users.contains { $0.string("userName") == directory.upn(index) }) }

            let errors = try await install.idsync(["errors"])
            #expect(errors.stdout.contains(directory.upn(1)) && errors.stdout.contains("not taken over"), "\(errors.output)")
            let runs = try await install.idsync(["runs", "--errors"])
            #expect(runs.stdout.contains("userName \(directory.upn(1)) is already used in the target by object \(foreignID)"), "\(runs.stdout)")
        }
    }
}
