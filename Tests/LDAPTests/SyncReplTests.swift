import Foundation
import IDSyncTesting
@testable import LDAP  // SyncReplRefresh.messagesPerBatch
import Testing

@Suite("Syncrepl refresh, RFC 4533 (OpenLDAP slapd)")
struct SyncReplTests {
    @Test(arguments: DeleteDelivery.allCases)
    func initialRefreshNamesEveryEntryAsAddWithItsUUIDAndACookie(_ delivery: DeleteDelivery) async throws {
        try await OpenLDAPServer.withServer(sessionLog: delivery.sessionLogSize) { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob", "cat"] { try await people.addPerson(admin, uid) }

            let result = try await people.refresh(admin, cookie: nil)
            #expect(result.changes.count == 3)
            #expect(result.changes.allSatisfy { $0.state == .add })
            for uid in ["ann", "bob", "cat"] {
                let uuid = try await people.entryUUID(admin, uid)
                let change = try #require(result.changes.first { $0.entryUUID == uuid }, "\(uid)")
                #expect(change.entry?.dn == people.dn(uid))
                #expect(change.entry?.string("cn") == "Person \(uid)")
            }
            // The whole content: nothing held can survive that it does not name.
            #expect(result.presentPhase)
            let stranger = [UInt8](repeating: 7, count: 16)
            let (deletions, cookie) = result.reconcile(holding: [stranger])
            #expect(deletions == [stranger])
            #expect(cookie?.isEmpty == false)
            await admin.close()
        }
    }

    @Test(arguments: DeleteDelivery.allCases)
    func refreshWithTheCookieReturnsExactlyTheModifyTheAddAndTheDelete(_ delivery: DeleteDelivery) async throws {
        try await OpenLDAPServer.withServer(sessionLog: delivery.sessionLogSize) { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob", "cat"] { try await people.addPerson(admin, uid) }
            var replica = Replica()
            replica.apply(try await people.refresh(admin, cookie: replica.cookie))
            #expect(replica.entries.count == 3)

            try await people.rename(admin, "ann", cn: "Ann Renamed")
            try await people.addPerson(admin, "dan")
            let bob = try await people.entryUUID(admin, "bob")
            try await admin.delete(dn: people.dn("bob"))
            let ann = try await people.entryUUID(admin, "ann")
            let dan = try await people.entryUUID(admin, "dan")

            let result = try await people.refresh(admin, cookie: replica.cookie)
            #expect(result.upserted == [ann, dan])
            #expect(result.changes.first { $0.entryUUID == ann }?.entry?.string("cn") == "Ann Renamed")
            switch delivery {
            case .presentPhase:
                // Nothing names bob: only the present phase's rule reveals that he is gone.
                #expect(result.presentPhase)
                #expect(result.explicitDeletes.isEmpty)
                #expect(!result.presentUUIDs.contains(bob))
            case .sessionLog:
                #expect(!result.presentPhase)
                #expect(result.explicitDeletes == [bob])
            }
            let deletions = replica.apply(result)
            #expect(deletions == [bob])
            #expect(replica.content == (try await people.content(admin)))
            await admin.close()
        }
    }

    /// LSC's issue #486: deletes made while its consumer was not running never reached it, because it
    /// ignored the present phase. Here the consumer is gone between two refreshes, and with `restart`
    /// slapd too (which empties its session log).
    @Test(arguments: DeleteDelivery.allCases, [false, true])
    func aDeleteMadeWhileNoConsumerWasConnectedArrives(_ delivery: DeleteDelivery, restart: Bool) async throws {
        try await OpenLDAPServer.withServer(sessionLog: delivery.sessionLogSize) { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob", "cat"] { try await people.addPerson(admin, uid) }
            var replica = Replica()
            let consumer = try await server.admin()
            replica.apply(try await people.refresh(consumer, cookie: nil))
            await consumer.close()

            let bob = try await people.entryUUID(admin, "bob")
            try await admin.delete(dn: people.dn("bob"))
            await admin.close()
            if restart { try await server.restart() }

            let returning = try await server.admin()
            let result = try await people.refresh(returning, cookie: replica.cookie)
            // slapd's session log is in memory, so after a restart even a server with one falls back to a
            // present phase; the delete must arrive either way.
            #expect(result.presentPhase == (delivery == .presentPhase || restart))
            #expect(result.upserted.isEmpty)
            #expect(replica.apply(result) == [bob])
            #expect(replica.content == (try await people.content(returning)))
            await returning.close()
        }
    }

    @Test(arguments: DeleteDelivery.allCases)
    func refreshOfAnUnchangedDirectoryChangesNothing(_ delivery: DeleteDelivery) async throws {
        try await OpenLDAPServer.withServer(sessionLog: delivery.sessionLogSize) { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob"] { try await people.addPerson(admin, uid) }
            var replica = Replica()
            replica.apply(try await people.refresh(admin, cookie: nil))
            let before = replica.content

            let unchanged = try await people.refresh(admin, cookie: replica.cookie)
            #expect(unchanged.changes.isEmpty)
            #expect(unchanged.reconcile(holding: replica.entries.keys).deletions.isEmpty)
            replica.apply(unchanged)
            #expect(replica.content == before)

            // A change outside the scope moves the server's state on: slapd then names the people as present
            // (without a session log) rather than sending nothing, which must not delete any of them either.
            try await admin.add(dn: "ou=elsewhere,ou=groups,\(server.baseDN)",
                                attributes: ["objectClass": [LDAPValue(utf8: "organizationalUnit")]])
            let elsewhere = try await people.refresh(admin, cookie: replica.cookie)
            #expect(elsewhere.upserted.isEmpty)
            #expect(elsewhere.explicitDeletes.isEmpty)
            #expect(elsewhere.reconcile(holding: replica.entries.keys).deletions.isEmpty)
            replica.apply(elsewhere)
            #expect(replica.content == before)
            await admin.close()
        }
    }

    /// A cookie slapd cannot parse is ignored: it sends the whole content marked as a delete phase and an
    /// empty cookie. The client turns that into e-syncRefreshRequired, and the reload without a cookie
    /// then deletes what is gone.
    @Test func aBogusCookieIsRefreshRequiredAndTheReloadDeletesWhatIsGone() async throws {
        try await OpenLDAPServer.withServer { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob"] { try await people.addPerson(admin, uid) }
            var replica = Replica()
            replica.apply(try await people.refresh(admin, cookie: nil))
            try await admin.delete(dn: people.dn("bob"))

            let error = try await #require(throws: LDAPError.self) {
                _ = try await people.refresh(admin, cookie: Array("not a cookie".utf8))
            }
            #expect(error.isSyncRefreshRequired)
            #expect(error.operation == "syncrepl refresh")

            // The connection is still usable, and the reload recovers.
            replica.apply(try await people.refresh(admin, cookie: nil))
            #expect(replica.content == (try await people.content(admin)))
            #expect(replica.entries.count == 1)
            await admin.close()
        }
    }

    /// A cookie older than every entry (one from before the database was rebuilt). With
    /// `syncprov-reloadhint` slapd refuses it unless the consumer accepts a reload; without, it reloads.
    /// Either way the reload is a present phase, so what the consumer holds and the server lost goes.
    @Test(arguments: [false, true])
    func anExpiredCookie(serverRequiresReloadHint: Bool) async throws {
        try await OpenLDAPServer.withServer(reloadHint: serverRequiresReloadHint) { server in
            let people = PeopleDirectory(server: server)
            let admin = try await server.admin()
            for uid in ["ann", "bob"] { try await people.addPerson(admin, uid) }
            var replica = Replica()
            let lost = [UInt8](repeating: 0xAB, count: 16)  // an entry the rebuilt server no longer has
            replica.entries[lost] = LDAPEntry(dn: people.dn("lost"), attributes: ["cn": [LDAPValue(utf8: "Lost")]])
            let expired = Array("rid=000,csn=20000101000000.000000Z#000000#000#000000".utf8)

            if serverRequiresReloadHint {
                let error = try await #require(throws: LDAPError.self) {
                    _ = try await people.refresh(admin, cookie: expired)
                }
                #expect(error.isSyncRefreshRequired, "\(error)")
                #expect(error.code == 4096)
            }
            let reload = try await people.refresh(admin, cookie: expired, reloadHint: serverRequiresReloadHint)
            #expect(reload.presentPhase)
            #expect(reload.upserted.count == 2)
            #expect(replica.apply(reload) == [lost])
            #expect(replica.content == (try await people.content(admin)))
            await admin.close()
        }
    }

    @Test func eventsStreamInOrderAndAStreamLeftEarlyIsAbandoned() async throws {
        try await OpenLDAPServer.withServer { server in
            let people = PeopleDirectory(server: server)
            // More than one batch, so that leaving after the first leaves the response unread.
            let count = SyncReplRefresh.messagesPerBatch * 2 + 100
            try await people.load(count: count)
            let admin = try await server.admin()

            func events() -> SyncReplRefresh {
                admin.syncReplEvents(base: people.peopleDN, scope: .subtree, filter: PeopleDirectory.filter,
                                     attributes: ["cn"], cookie: nil)
            }
            var all: [SyncReplEvent] = []
            for try await event in events() { all.append(event) }
            #expect(all.count == count + 2)
            #expect(all.dropLast(2).allSatisfy { if case .change(let change) = $0 { change.state == .add } else { false } })
            guard case .deleteAllExcept(let named) = all[count], case .done(let cookie?) = all[count + 1] else {
                Issue.record("the stream ends \(all.suffix(2))")
                return
            }
            #expect(named.count == count)
            #expect(!cookie.isEmpty)

            var taken = 0
            for try await _ in events() {
                taken += 1
                if taken == 3 { break }
            }
            // Told to stop sending the rest (slapd logs "conn=… op=… ABANDON msg=…").
            let abandoned = try await eventually(timeout: .seconds(5)) {
                try String(contentsOfFile: server.directory + "/slapd.log", encoding: .utf8).contains(" ABANDON msg=")
            }
            #expect(abandoned.held, "slapd logged no ABANDON")

            // A cancelled consumer stops at the next batch, with the search abandoned too.
            let cancelled = Task {
                for try await _ in events() { withUnsafeCurrentTask { $0?.cancel() } }
            }
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            let abandonedTwice = try await eventually(timeout: .seconds(5)) {
                try String(contentsOfFile: server.directory + "/slapd.log", encoding: .utf8)
                    .components(separatedBy: " ABANDON msg=").count == 3
            }
            #expect(abandonedTwice.held, "no second ABANDON")
            // The abandoned searches do not hold up or leak into the next requests on the connection.
            let plain = try await admin.search(base: people.peopleDN, scope: .oneLevel, filter: PeopleDirectory.filter,
                                               attributes: ["1.1"])
            #expect(plain.entries.count == count)
            let again = try await people.refresh(admin, cookie: nil)
            #expect(again.changes.count == count)
            await admin.close()
        }
    }

    /// Not a benchmark with a threshold: it prints how long a refresh of 1,000 entries takes (or of
    /// IDSYNC_SYNCREPL_ENTRIES), and checks that every entry comes once. The entries are loaded with slapadd,
    /// which is also what makes slapd's contextCSN cover them (see scripts/slapd-server load).
    @Test func refreshOfAThousandEntries() async throws {
        try await OpenLDAPServer.withServer { server in
            let people = PeopleDirectory(server: server)
            let count = ProcessInfo.processInfo.environment["IDSYNC_SYNCREPL_ENTRIES"].flatMap { Int($0) } ?? 1_000
            try await people.load(count: count)

            let admin = try await server.admin()
            let clock = ContinuousClock()
            var result: SyncReplResult?
            let full = try await clock.measure { result = try await people.refresh(admin, cookie: nil) }
            let initial = try #require(result)
            #expect(initial.changes.count == count)
            #expect(Set(initial.changes.map(\.entryUUID)).count == count)
            var replica = Replica()
            replica.apply(initial)

            try await people.rename(admin, "bulk\(count / 2)", cn: "Renamed")
            let incremental = try await clock.measure { result = try await people.refresh(admin, cookie: replica.cookie) }
            let changed = try #require(result)
            #expect(changed.upserted.count == 1)
            #expect(changed.reconcile(holding: replica.entries.keys).deletions.isEmpty)
            print("syncrepl refresh of \(count) entries: full \(full), one change with a present phase \(incremental)")
            await admin.close()
        }
    }
}
