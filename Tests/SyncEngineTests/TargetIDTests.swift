import SCIM
import SyncStore
import Testing
@testable import SyncEngine

/// A target's ids as servers really hand them out: numbered per resource type, or (a broken server) the
/// same id answered for two objects.
@Suite("Export: target ids")
struct TargetIDTests {
    @Test("a target numbering users and groups apart: user 1 and group 1 are both stored, the member is the user; nothing changed sends nothing")
    func usersAndGroupsNumberedApart() async throws {
        let bench = try ExportBench()
        bench.target.numberUsersAndGroupsApart()
        let alice = try bench.add(.user, ExportTests().user("alice"))
        let staff = try bench.add(.group, ExportTests().group("staff", members: [alice.mv]))
        try bench.expectSuccess(await bench.export())

        #expect(try bench.cs(alice.cs).anchor == "1")
        #expect(try bench.cs(staff.cs).anchor == "1")
        #expect(bench.target.members(ofGroup: "1") == ["1"])
        let member = bench.target.resource(.group, id: "1")?.value(forAttribute: "members")?.arrayValue?.first
        #expect(member?.value(forAttribute: "$ref")?.stringValue == "\(FakeTarget.baseURL)/Users/1")
        let (user, group) = try bench.store.read { reader in
            (try reader.csObject(connector: bench.target.name, anchor: "1", objectType: .user),
             try reader.csObject(connector: bench.target.name, anchor: "1", objectType: .group))
        }
        #expect(user?.id == alice.cs && group?.id == staff.cs)

        bench.target.clearLog()
        try bench.queue(alice.cs, .update, ExportTests().user("alice"))
        try bench.queue(staff.cs, .update, ExportTests().group("staff", members: [alice.mv]))
        try bench.expectSuccess(await bench.export())
        #expect(bench.target.requests.isEmpty, "nothing changed, yet sent: \(bench.target.requests)")
    }

    @Test("a create answered with an id another user has already is that user's error; the export goes on")
    func anAnswerTheStoreCannotHoldIsOneObjectsError() async throws {
        let bench = try ExportBench()
        bench.target.answerCreates(.user, withID: "same")
        let alice = try bench.add(.user, ExportTests().user("alice"))
        let bob = try bench.add(.user, ExportTests().user("bob"))
        let staff = try bench.add(.group, ExportTests().group("staff", members: []))
        let run = await bench.export()

        #expect(run.status == .completedWithErrors, "\(run.status.rawValue) \(run.message ?? "")")
        #expect(run.adds == 2, "alice (or bob) and the group")
        let errors = try bench.errors(run)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("the target's answer cannot be stored") == true, "\(errors)")
        let anchors = [try bench.cs(alice.cs).anchor, try bench.cs(bob.cs).anchor]
        #expect(anchors.filter { $0 == "same" }.count == 1 && anchors.contains(nil), "\(anchors)")
        #expect(try bench.cs(staff.cs).anchor != nil)
        let refused = anchors[0] == nil ? alice.cs : bob.cs
        #expect(try bench.pending(refused)?.lastError?.contains("cannot be stored") == true)
    }
}

/// First contact when the target's filters fail: the run switches to one listing of the target.
@Suite("Export: lookups when filters fail")
struct TargetLookupTests {
    @Test("a filter answered 501, 400 invalidFilter or 500 three times: one listing for the run, every user created once",
          arguments: [(501, nil), (400, "invalidFilter"), (500, nil)] as [(Int, String?)])
    func brokenFilterFallsBackToOneListing(status: Int, scimType: String?) async throws {
        let bench = try ExportBench()
        let carol = bench.target.seed(.user, .object(["userName": "carol@contoso.test", "externalId": "guid-carol"]))
        bench.target.failFilters(status: status, scimType: scimType)
        let alice = try bench.add(.user, ExportTests().user("alice")), bob = try bench.add(.user, ExportTests().user("bob"))
        let carolCS = try bench.add(.user, ExportTests().user("carol"))
        let run = await bench.export()
        try bench.expectSuccess(run)

        let filters = bench.target.requests.filter { $0.path.contains("filter=") }
        #expect(filters.count == (status == 500 ? TargetLookup.serverErrorTries : 1), "\(filters)")
        #expect(bench.target.requests.filter { $0.method == "GET" && !$0.path.contains("?") && !$0.path.contains("/Users/") }
                    .map(\.path) == ["/Users", "/Groups"], "one listing")
        #expect(bench.target.requests.filter { $0.method == "POST" }.count == 2)
        #expect(try bench.cs(alice.cs).anchor != nil && bench.cs(bob.cs).anchor != nil)
        #expect(try bench.cs(carolCS.cs).anchor == carol, "carol is adopted, found in the listing")
    }

    @Test("one 500 from a filter is tried again, not taken for a broken filter")
    func oneServerErrorIsTriedAgain() async throws {
        let bench = try ExportBench()
        bench.target.failFilters(status: 500, count: 1)
        _ = try bench.add(.user, ExportTests().user("alice"))
        try bench.expectSuccess(await bench.export())
        #expect(!bench.target.requests.contains { $0.method == "GET" && $0.path == "/Users" }, "no listing")
        #expect(bench.target.requests.filter { $0.method == "POST" }.count == 1)
    }
}
