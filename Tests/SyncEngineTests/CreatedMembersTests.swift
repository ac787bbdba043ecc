import SCIM
import SyncStore
import Testing
@testable import SyncEngine

/// Groups whose create the target answered without their members (mitol-django-scim takes members by PATCH only).
@Suite("Export: members a create ignored")
struct CreatedMembersTests {
    @Test("members a group's create ignored are added by PATCH in the same run (single POST and Bulk); nothing is left to send",
          arguments: [0, 10])
    func ignoredMembersAreAddedAtOnce(bulk: Int) async throws {
        let bench = try ExportBench()
        bench.target.offerBulk(maxOperations: bulk)
        bench.target.ignoreMembersOnCreate()
        let alice = try bench.add(.user, ExportTests().user("alice")), bob = try bench.add(.user, ExportTests().user("bob"))
        let staff = try bench.add(.group, ExportTests().group("staff", members: [alice.mv, bob.mv]))
        let admins = try bench.add(.group, ExportTests().group("admins", members: [alice.mv]))
        try bench.expectSuccess(await bench.export())

        let (aliceID, bobID) = (try #require(try bench.cs(alice.cs).anchor), try #require(try bench.cs(bob.cs).anchor))
        #expect(bench.target.members(ofGroup: try #require(try bench.cs(staff.cs).anchor)) == [aliceID, bobID])
        #expect(bench.target.members(ofGroup: try #require(try bench.cs(admins.cs).anchor)) == [aliceID])
        #expect(bench.target.requests.filter { $0.method == "PATCH" }.count == 2, "\(bench.target.requests)")

        bench.target.clearLog()
        try bench.queue(staff.cs, .update, ExportTests().group("staff", members: [alice.mv, bob.mv]))
        try bench.expectSuccess(await bench.export())
        #expect(bench.target.requests.isEmpty, "nothing changed, yet sent: \(bench.target.requests)")
    }

    @Test("a target that keeps members on create is only read (Bulk) or trusted (its answer), never patched")
    func keptMembersAreNotPatched() async throws {
        let bench = try ExportBench()
        bench.target.offerBulk(maxOperations: 10)
        let alice = try bench.add(.user, ExportTests().user("alice"))
        _ = try bench.add(.group, ExportTests().group("staff", members: [alice.mv]))
        _ = try bench.add(.group, ExportTests().group("admins", members: [alice.mv]))
        try bench.expectSuccess(await bench.export())
        #expect(!bench.target.requests.contains { $0.method == "PATCH" })
    }

    @Test("adding the ignored members refused: the group is kept with its id and an error; the next run adds them")
    func refusedMemberAddIsRetriedNextRun() async throws {
        let bench = try ExportBench()
        bench.target.ignoreMembersOnCreate()
        bench.target.refuseMemberAdds(1)
        let alice = try bench.add(.user, ExportTests().user("alice"))
        let staff = try bench.add(.group, ExportTests().group("staff", members: [alice.mv]))
        let first = await bench.export()
        #expect(first.status == .completedWithErrors)
        #expect(first.adds == 2 && first.errors == 1)
        let staffID = try #require(try bench.cs(staff.cs).anchor, "the created group keeps its id")
        #expect(try bench.errors(first).first?.message.contains("members could not be checked or added") == true)
        #expect(bench.target.members(ofGroup: staffID).isEmpty)

        try bench.expectSuccess(await bench.export())
        #expect(bench.target.members(ofGroup: staffID) == [try #require(try bench.cs(alice.cs).anchor)])
        #expect(bench.target.resources(.group).count == 1, "not created twice")
    }
}
