import Foundation
import IDSyncTesting
import Logging
import SCIM
import SyncStore
import Synchronization
import Testing
@testable import SyncEngine

/// The export run profile against a real SQLite store and an in-memory target: what is sent, in which
/// order, and what the store says afterwards, for the cases the real servers make hard to arrange.
@Suite("Export")
struct ExportTests {
    // MARK: Creating and updating

    @Test("a new user is created whole, then a change sends only the changed attribute, and no change sends nothing")
    func createThenUpdateSendsOnlyDifferences() async throws {
        let bench = try ExportBench()
        let alice = try bench.add(.user, user("alice"))
        try bench.expectSuccess(await bench.export())
        let created = bench.target.requests
        #expect(created.map(\.description) == ["GET /Users?filter=externalId eq \"guid-alice\"",
                                               "GET /Users?filter=userName eq \"alice@contoso.test\"", "POST /Users"])
        let anchor = try #require(try bench.cs(alice.cs).anchor)
        #expect(bench.target.resource(.user, id: anchor)?.value(forAttribute: "title")?.stringValue == "Engineer")
        #expect(try bench.pending(alice.cs) == nil)

        bench.target.clearLog()
        try bench.queue(alice.cs, .update, user("alice", title: "Architect"))
        let update = await bench.export()
        try bench.expectSuccess(update)
        #expect(update.updates == 1)
        let patches = bench.target.requests
        #expect(patches.map(\.description) == ["PATCH /Users/\(anchor)"])
        #expect(patches.first?.operationPaths == ["title"])
        #expect(bench.target.resource(.user, id: anchor)?.value(forAttribute: "title")?.stringValue == "Architect")

        bench.target.clearLog()
        try bench.queue(alice.cs, .update, user("alice", title: "Architect"))
        try bench.expectSuccess(await bench.export())
        #expect(bench.target.requests.isEmpty, "nothing changed, yet sent: \(bench.target.requests)")
        #expect(try bench.pending(alice.cs) == nil)
    }

    // MARK: References

    @Test("a group whose members are created in the same export waits for them and is created complete")
    func groupWaitsForItsMembers() async throws {
        let bench = try ExportBench()
        let alice = try bench.add(.user, user("alice")), bob = try bench.add(.user, user("bob"))
        // The parent comes first in the store's order, so it must wait for the nested group after it.
        let staff = try bench.add(.group, group("staff", members: [alice.mv, bob.mv]))
        let engineers = try bench.add(.group, group("engineers", members: [bob.mv]))
        try bench.queue(staff.cs, .add, group("staff", members: [alice.mv, bob.mv, engineers.mv]))
        try bench.expectSuccess(await bench.export())

        let (aliceID, bobID) = (try #require(try bench.cs(alice.cs).anchor), try #require(try bench.cs(bob.cs).anchor))
        let (staffID, engineersID) = (try #require(try bench.cs(staff.cs).anchor), try #require(try bench.cs(engineers.cs).anchor))
        #expect(bench.target.members(ofGroup: staffID) == [aliceID, bobID, engineersID])
        #expect(bench.target.members(ofGroup: engineersID) == [bobID])
        let sent = bench.target.requests.filter { $0.method != "GET" }.map(\.description)
        #expect(sent == ["POST /Users", "POST /Users", "POST /Groups", "POST /Groups"])
        let staffPost = try #require(bench.target.requests.last { $0.method == "POST" })
        let nested = staffPost.body?.value(forAttribute: "members")?.arrayValue?.first { $0.value(forAttribute: "value")?.stringValue == engineersID }
        #expect(nested?.value(forAttribute: "$ref")?.stringValue == "\(FakeTarget.baseURL)/Groups/\(engineersID)")
        #expect(try bench.pending(staff.cs) == nil && bench.pending(engineers.cs) == nil)
    }

    @Test("groups that contain each other are created without those members, then patched once both exist")
    func referenceCycleIsBroken() async throws {
        let bench = try ExportBench()
        let red = try bench.add(.group, group("red", members: []))
        let blue = try bench.add(.group, group("blue", members: [red.mv]))
        try bench.queue(red.cs, .add, group("red", members: [blue.mv]))
        let run = await bench.export()
        try bench.expectSuccess(run)

        let (redID, blueID) = (try #require(try bench.cs(red.cs).anchor), try #require(try bench.cs(blue.cs).anchor))
        #expect(bench.target.members(ofGroup: redID) == [blueID])
        #expect(bench.target.members(ofGroup: blueID) == [redID])
        let sent = bench.target.requests.filter { $0.method != "GET" }
        #expect(sent.map(\.method) == ["POST", "POST", "PATCH", "PATCH"])
        for post in sent.prefix(2) { #expect(post.body?.value(forAttribute: "members")?.arrayValue == []) }
        #expect(try bench.cs(red.cs).references["members"] == [.metaverse(blue.mv)])
        #expect(try bench.pending(red.cs) == nil && bench.pending(blue.cs) == nil)
        #expect(run.adds == 2 && run.updates == 2)
    }

    // MARK: First contact

    @Test("an object the target holds with the same externalId is adopted and only its differences are sent")
    func adoptsByExternalID() async throws {
        let bench = try ExportBench()
        let held = bench.target.seed(.user, ["externalId": "guid-alice", "userName": "alice@contoso.test", "displayName": "Old name",
                                             "title": "Engineer", "active": true])
        let alice = try bench.add(.user, user("alice"))
        let run = await bench.export()
        try bench.expectSuccess(run)
        #expect(try bench.cs(alice.cs).anchor == held)
        #expect(bench.target.resources(.user).count == 1)
        let sent = bench.target.requests.filter { $0.method != "GET" }
        #expect(sent.map(\.description) == ["PATCH /Users/\(held)"])
        #expect(sent.first?.operationPaths == ["displayName"])
        #expect(run.adds == 0 && run.updates == 1)
    }

    @Test("an object without externalId is adopted by its userName and given the externalId")
    func adoptsByUserName() async throws {
        let bench = try ExportBench()
        let held = bench.target.seed(.user, ["userName": "Alice@Contoso.test", "displayName": "Alice", "title": "Engineer", "active": true])
        let alice = try bench.add(.user, user("alice"))
        try bench.expectSuccess(await bench.export())
        #expect(try bench.cs(alice.cs).anchor == held)
        #expect(bench.target.resources(.user).count == 1)
        #expect(bench.target.requests.filter { $0.method != "GET" }.flatMap(\.operationPaths).contains("externalId"))
        #expect(bench.target.resource(.user, id: held)?.value(forAttribute: "externalId")?.stringValue == "guid-alice")
    }

    @Test("a userName held by an object anchored to another externalId is not taken over: that object fails alone")
    func userNameOfAnotherObjectIsNotTakenOver() async throws {
        let bench = try ExportBench()
        let stranger: JSON = ["externalId": "guid-someone-else", "userName": "alice@contoso.test", "displayName": "Someone else"]
        let held = bench.target.seed(.user, stranger)
        let alice = try bench.add(.user, user("alice")), bob = try bench.add(.user, user("bob"))
        let run = await bench.export()
        #expect(run.status == .completedWithErrors)
        #expect(run.adds == 1 && run.errors == 1)
        let errors = try bench.errors(run)
        #expect(errors.count == 1)
        #expect(errors.first?.attribute == "userName")
        #expect(errors.first?.message.contains("not taken over") == true)
        #expect(try bench.cs(alice.cs).anchor == nil)
        #expect(try bench.pending(alice.cs)?.attempts == 1)
        #expect(try bench.cs(bob.cs).anchor != nil)
        #expect(bench.target.resource(.user, id: held)?.value(forAttribute: "externalId")?.stringValue == "guid-someone-else")
        #expect(!bench.target.requests.contains { $0.path == "/Users/\(held)" && $0.method != "GET" })
    }

    @Test("a server that cannot filter is read once, and creates are matched against what it holds")
    func withoutFilteringTheTargetIsReadOnce() async throws {
        let bench = try ExportBench()
        bench.target.supportFiltering(false)
        let held = bench.target.seed(.user, ["externalId": "guid-alice", "userName": "alice@contoso.test", "displayName": "Alice",
                                             "title": "Engineer", "active": true])
        let alice = try bench.add(.user, user("alice")), bob = try bench.add(.user, user("bob"))
        try bench.expectSuccess(await bench.export())
        #expect(try bench.cs(alice.cs).anchor == held)
        #expect(try bench.cs(bob.cs).anchor != nil)
        #expect(!bench.target.requests.contains { $0.path.contains("filter=") })
        #expect(bench.target.requests.filter { $0.method == "GET" && !$0.path.contains("/Users/") }.map(\.path) == ["/Users", "/Groups"])
        #expect(bench.target.requests.filter { $0.method == "POST" }.count == 1)
    }

    // MARK: Bulk

    @Test("a Bulk request failing as a whole after committing: what landed is found again, nothing is created twice")
    func bulkFailingAfterCommittingIsReadAgain() async throws {
        let bench = try ExportBench()
        bench.target.offerBulk(maxOperations: 10)
        // The server did the work, only its answer was lost.
        bench.target.failBulkRequests(1, afterApplying: true)
        let names = ["alice", "bob", "carol", "dave"]
        let objects = try names.map { try bench.add(.user, user($0)) }
        let run = await bench.export()
        try bench.expectSuccess(run)
        #expect(run.adds == 4)
        #expect(bench.target.resources(.user).count == 4)
        #expect(!bench.target.requests.contains { $0.method == "POST" && $0.path == "/Users" && !$0.inBulk }, "sent again alone")
        for (name, object) in zip(names, objects) {
            let anchor = try #require(try bench.cs(object.cs).anchor)
            #expect(bench.target.resource(.user, externalId: "guid-\(name)")?["id"]?.stringValue == anchor)
            #expect(try bench.pending(object.cs) == nil)
        }
    }

    @Test("with the target read once as a listing, a Bulk failing after committing has the target read again")
    func bulkFailingAfterCommittingRefreshesTheListing() async throws {
        let bench = try ExportBench()
        bench.target.offerBulk(maxOperations: 1000)
        bench.target.failBulkRequests(1, afterApplying: true)
        let count = Export.listingThreshold + 20
        for i in 0..<count { _ = try bench.add(.user, user("user\(i)")) }
        let run = await bench.export()
        try bench.expectSuccess(run)
        #expect(run.adds == count)
        #expect(bench.target.resources(.user).count == count)
        #expect(bench.target.requests.filter { $0.method == "GET" && $0.path == "/Users" }.count == 2, "listed before and after")
    }

    @Test("a Bulk request failing as a whole once is sent again as Bulk; failing twice, its types go one request each")
    func bulkFailingTwiceIsGivenUpForTheRun() async throws {
        for failures in [1, 1000] {
            let bench = try ExportBench()
            bench.target.offerBulk(maxOperations: 10)
            bench.target.failBulkRequests(failures)
            let objects = try ["alice", "bob", "carol", "dave"].map { try bench.add(.user, user($0)) }
            let run = await bench.export()
            try bench.expectSuccess(run)
            #expect(run.adds == 4)
            #expect(bench.target.resources(.user).count == 4)
            for object in objects { #expect(try bench.cs(object.cs).anchor != nil) }
            let alone = bench.target.requests.filter { $0.method == "POST" && $0.path == "/Users" && !$0.inBulk }
            #expect(alone.count == (failures == 1 ? 0 : 4), "failures \(failures): \(bench.target.requests)")
        }
    }

    @Test("a member removal refused inside a Bulk is sent again alone, and the member list is replaced instead")
    func refusedBulkOperationIsRetriedAlone() async throws {
        let bench = try ExportBench()
        bench.target.offerBulk(maxOperations: 10)
        let alice = try bench.add(.user, user("alice")), bob = try bench.add(.user, user("bob"))
        let red = try bench.add(.group, group("red", members: [alice.mv, bob.mv]))
        let blue = try bench.add(.group, group("blue", members: [alice.mv, bob.mv]))
        try bench.expectSuccess(await bench.export())
        let (aliceID, bobID) = (try #require(try bench.cs(alice.cs).anchor), try #require(try bench.cs(bob.cs).anchor))

        bench.target.refuseMemberRemovalByFilter()
        bench.target.clearLog()
        try bench.queue(red.cs, .update, group("red", members: [alice.mv]))
        try bench.queue(blue.cs, .update, group("blue", members: [bob.mv]))
        let run = await bench.export()
        try bench.expectSuccess(run)
        #expect(run.updates == 2)
        #expect(bench.target.members(ofGroup: try #require(try bench.cs(red.cs).anchor)) == [aliceID])
        #expect(bench.target.members(ofGroup: try #require(try bench.cs(blue.cs).anchor)) == [bobID])
        let requests = bench.target.requests
        #expect(requests.filter { $0.inBulk && $0.method == "PATCH" }.count == 2)
        let alone = requests.filter { !$0.inBulk && $0.method == "PATCH" }
        #expect(alone.first?.operationPaths.contains { $0.hasPrefix("members[") } == true, "the first single PATCH still tries the filter")
        #expect(alone.last?.operationPaths == ["members"])
        #expect(!bench.target.removesMembersByFilter)
    }

    // MARK: Objects changed behind idsync's back

    @Test("a PATCH answered 404 (deleted in the target behind idsync's back) creates the object again")
    func goneObjectIsCreatedAgain() async throws {
        let bench = try ExportBench()
        let alice = try bench.add(.user, user("alice"))
        try bench.expectSuccess(await bench.export())
        let before = try #require(try bench.cs(alice.cs).anchor)
        bench.target.deleteBehindIdsyncsBack(.user, id: before)

        bench.target.clearLog()
        try bench.queue(alice.cs, .update, user("alice", title: "Architect"))
        let run = await bench.export()
        try bench.expectSuccess(run)
        let after = try #require(try bench.cs(alice.cs).anchor)
        #expect(after != before)
        #expect(bench.target.resources(.user).count == 1)
        let recreated = bench.target.resource(.user, id: after)
        #expect(recreated?.value(forAttribute: "title")?.stringValue == "Architect")
        #expect(recreated?.value(forAttribute: "userName")?.stringValue == "alice@contoso.test")
        #expect(bench.target.requests.filter { $0.method != "GET" }.map(\.description) == ["PATCH /Users/\(before)", "POST /Users"])
        #expect(try bench.pending(alice.cs) == nil)
    }

    // MARK: Deletions

    @Test("more deletions than the threshold stop the export before anything is sent; allowed, they are sent")
    func deletionThresholdStopsTheExport() async throws {
        let bench = try ExportBench()
        let users = try ["alice", "bob", "carol", "dave"].map { try bench.add(.user, user($0)) }
        try bench.expectSuccess(await bench.export())
        bench.target.clearLog()
        for object in users.prefix(3) { try bench.queue(object.cs, .delete, [:]) }
        try bench.queue(users[3].cs, .update, user("dave", title: "Architect"))

        let stopped = await bench.export(deletionLimit: 2)
        #expect(stopped.status == .stoppedDeletionThreshold)
        #expect(bench.target.requests.isEmpty, "sent despite the threshold: \(bench.target.requests)")
        #expect(bench.events.recorded.map(\.eventID) == [116])
        #expect(bench.target.resources(.user).count == 4)
        for object in users { #expect(try bench.pending(object.cs) != nil) }

        let allowed = await bench.export(deletionLimit: 3)
        try bench.expectSuccess(allowed)
        #expect(allowed.deletes == 3 && allowed.updates == 1)
        #expect(bench.target.resources(.user).count == 1)
        for object in users.prefix(3) { #expect(try bench.store.read { try $0.csObject(id: object.cs) } == nil) }
        #expect(bench.target.requests.filter { $0.method == "DELETE" }.count == 3)
    }

    @Test("objects disabled longer than deleteAfter are deleted; those disabled more recently are kept")
    func expiredDisabledObjectsAreDeleted() async throws {
        let bench = try ExportBench()
        let old = try bench.add(.user, user("alice")), recent = try bench.add(.user, user("bob"))
        try bench.expectSuccess(await bench.export())
        let oldID = try #require(try bench.cs(old.cs).anchor), recentID = try #require(try bench.cs(recent.cs).anchor)
        try bench.store.write { writer in
            for (id, age) in [(old.cs, 2 * 86_400.0), (recent.cs, 3_600.0)] {
                var object = try #require(try writer.csObject(id: id))
                object.deprovisionedAt = Date().addingTimeInterval(-age)
                try writer.update(object)
            }
        }
        bench.target.clearLog()
        let run = await bench.export(deleteAfter: .seconds(86_400))
        try bench.expectSuccess(run)
        #expect(run.deletes == 1)
        #expect(bench.target.requests.map(\.description) == ["DELETE /Users/\(oldID)"])
        #expect(try bench.store.read { try $0.csObject(id: old.cs) } == nil)
        #expect(bench.target.resource(.user, id: recentID) != nil)
        #expect(try bench.cs(recent.cs).anchor == recentID)
    }

    // MARK: Desired states

    func user(_ name: String, title: String = "Engineer") -> AttributeMap {
        ["externalId": ["guid-\(name)"], "userName": ["\(name)@contoso.test"], "displayName": [name.capitalized],
         "title": [title], "active": ["true"]]
    }

    func group(_ name: String, members: [Int64]) -> (AttributeMap, ReferenceMap) {
        (["externalId": ["guid-\(name)"], "displayName": [name.capitalized]], ["members": members.map(Reference.metaverse)])
    }
}

/// A real store holding the target connector space, an in-memory target, and the events the export reported.
final class ExportBench {
    let directory: TemporaryDirectory
    let store: SQLiteStore
    let target = FakeTarget()
    let events = ReportedEvents()

    init() throws {
        directory = try TemporaryDirectory(prefix: "export-tests")
        store = try SQLiteStore(path: directory.file("idsync.sqlite"))
    }

    deinit { directory.remove() }

    /// A metaverse object and, joined to it, a target connector-space object not exported yet, with its pending add.
    func add(_ type: ObjectType, _ desired: AttributeMap, references: ReferenceMap = [:]) throws -> (mv: Int64, cs: Int64) {
        try store.write { writer in
            let mv = try writer.insert(MVObject(objectType: type, attributes: [:]))
            let name = SCIMMapping.displayName(type, desired)
            let cs = try writer.insert(CSObject(connector: target.name, anchor: nil, dn: name, dnKey: name.lowercased(), objectType: type,
                                                attributes: [:], mvID: mv))
            try writer.setPendingExport(PendingExport(csID: cs, operation: .add, attributes: desired, references: references))
            return (mv, cs)
        }
    }

    /// A group: its values and its references.
    func add(_ type: ObjectType, _ desired: (AttributeMap, ReferenceMap)) throws -> (mv: Int64, cs: Int64) {
        try add(type, desired.0, references: desired.1)
    }

    func queue(_ cs: Int64, _ operation: ExportOperation, _ desired: AttributeMap, references: ReferenceMap = [:]) throws {
        try store.write {
            try $0.setPendingExport(PendingExport(csID: cs, operation: operation, attributes: desired, references: references))
        }
    }

    func queue(_ cs: Int64, _ operation: ExportOperation, _ desired: (AttributeMap, ReferenceMap)) throws {
        try queue(cs, operation, desired.0, references: desired.1)
    }

    /// `managed`: the attributes the rules manage in the target (nil: the built-in ones).
    func export(deletionLimit: Int = 500, deleteAfter: Duration? = nil, managed: [ObjectType: Set<String>]? = nil) async -> RunRecord {
        let events = self.events
        return await Export(store: store, target: target, logger: Logger(label: "export-tests"), deletionLimit: deletionLimit,
                            deleteAfter: deleteAfter, events: { events.record($0) }, managed: managed).run()
    }

    func cs(_ id: Int64) throws -> CSObject {
        try #require(try store.read { try $0.csObject(id: id) })
    }

    func pending(_ cs: Int64) throws -> PendingExport? { try store.read { try $0.pendingExport(csID: cs) } }

    func errors(_ run: RunRecord) throws -> [RunError] { try store.read { try $0.runErrors(runID: run.id ?? 0) } }

    func expectSuccess(_ run: RunRecord, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let errors = try self.errors(run).map(\.message)
        #expect(run.status == .success, "\(run.status.rawValue) \(run.message ?? "") \(errors)", sourceLocation: sourceLocation)
    }
}

/// The events an export reported (event 116 for the deletion threshold).
final class ReportedEvents: Sendable {
    private let events = Mutex<[EventRecord]>([])
    func record(_ event: EventRecord) { events.withLock { $0.append(event) } }
    var recorded: [EventRecord] { events.withLock { $0 } }
}
