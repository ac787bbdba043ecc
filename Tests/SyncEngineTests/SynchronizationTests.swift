import Foundation
import SyncStore
import Testing
@testable import SyncEngine

/// Import → connector space → sync → metaverse → pending exports, through `SyncCycle` and a real SQLite
/// store, with in-memory sources and targets that are never contacted (exports are simulated).
@Suite("Synchronization: inbound, outbound and pending exports (no server)")
struct SynchronizationTests {
    private func anchor(_ cn: String) -> String { FakeSource.anchor(cn) }
    private let cloud = "CN=Cloud,\(FakeDN.groups)"
    private let nested = "CN=Nested,\(FakeDN.groups)"

    // MARK: 1. Projection, flows, precedence, joins

    @Test func aNewUserIsProjectedWithTheBuiltInFlowsAndQueuedAsAnAddInEveryTarget() async throws {
        let h = try SyncHarness(rules: try TestRules.make())
        let boss = h.source.addUser("boss")
        h.source.addUser("ada", ["employeeID": ["E1"], "title": ["Engineer"], "department": ["R&D"], "manager": [boss]])
        h.source.addUser("off", ["userAccountControl": ["514"]])
        try await h.run()

        let ada = try #require(try h.mv(anchor("ada")))
        #expect(ada.objectType == .user)
        #expect(ada.attributes["userPrincipalName"] == ["ada@x.test"])
        #expect(ada.attributes["displayName"] == ["ada Display"])
        #expect(ada.attributes["jobTitle"] == ["Engineer"])
        #expect(ada.attributes["accountEnabled"] == ["true"])
        #expect(ada.references["manager"] == [try h.ref(anchor("boss"))])
        #expect(try h.mv(anchor("off"))?.attributes["accountEnabled"] == ["false"])
        #expect(try h.sourceObject("ad", anchor("ada"))?.mvID == ada.id)
        for target in ["a", "b"] {
            let export = try #require(try h.export(target, anchor("ada")))
            #expect(export.operation == .add)
            #expect(export.attributes["externalId"] == [anchor("ada")])
            #expect(export.attributes["userName"] == ["ada@x.test"])
            #expect(export.attributes["enterprise.department"] == ["R&D"])
            #expect(export.references["enterprise.manager"] == [try h.ref(anchor("boss"))])
            #expect(export.attributes["active"] == ["true"])
            #expect(try h.export(target, anchor("off"))?.attributes["active"] == ["false"])
            #expect(try h.exports(target).count == 3)
        }
    }

    /// "ad" projects (precedence 100); "hr" joins by employeeID with the precedence given.
    private func twoSources(hrPrecedence: Int) throws -> SyncHarness {
        let inbound = [
            TestRule(name: "AD users", type: .user, connector: "ad", precedence: 100,
                     joins: [("employeeID", "employeeID")], flows: TestRule.adUserFlows),
            TestRule(name: "HR users", type: .user, connector: "hr", precedence: hrPrecedence,
                     joins: [("employeeID", "employeeID")], projection: false,
                     flows: [("displayName", "displayName"), ("department", "department"), ("employeeID", "employeeID")]),
        ]
        return try SyncHarness(sources: [FakeSource(name: "ad"), FakeSource(name: "hr")], rules: try TestRules.make(inbound: inbound))
    }

    @Test(arguments: [50, 150])
    func twoSourcesJoinedByEmployeeIDFlowTheLowerPrecedenceNumbersValue(hrPrecedence: Int) async throws {
        let h = try twoSources(hrPrecedence: hrPrecedence)
        let (ad, hr) = (h.sources[0], h.sources[1])
        ad.addUser("ada", ["employeeID": ["E1"], "displayName": ["Ada (AD)"], "department": ["AD dept"]])
        hr.addUser("ada-hr", ["employeeID": ["E1"], "displayName": ["Ada Lovelace"]])
        try await h.run()

        let mv = try #require(try h.mv(anchor("ada")))
        #expect(try h.sourceObject("hr", anchor("ada-hr"))?.mvID == mv.id, "joined by employeeID")
        #expect(try h.store.read { try $0.mvCount() } == 1)
        #expect(mv.attributes["displayName"] == [hrPrecedence < 100 ? "Ada Lovelace" : "Ada (AD)"])
        #expect(mv.attributes["department"] == ["AD dept"], "hr gives no department: ad's flows whatever the precedence")
        #expect(try h.export("a", anchor("ada"))?.attributes["displayName"] == mv.attributes["displayName"])
    }

    @Test func aJoinThatFindsTwoCandidatesDoesNotJoin() async throws {
        let h = try twoSources(hrPrecedence: 50)
        let (ad, hr) = (h.sources[0], h.sources[1])
        ad.addUser("twin1", ["employeeID": ["E2"]])
        ad.addUser("twin2", ["employeeID": ["E2"]])
        hr.addUser("twin-hr", ["employeeID": ["E2"], "displayName": ["Which Twin"]])
        try await h.run()

        #expect(try h.sourceObject("hr", anchor("twin-hr"))?.mvID == nil)
        #expect(try h.store.read { try $0.mvCount() } == 2, "no projection for hr")
        #expect(try h.mv(anchor("twin1"))?.attributes["displayName"] == ["twin1 Display"])
        #expect(try h.mv(anchor("twin2"))?.attributes["displayName"] == ["twin2 Display"])
    }

    // MARK: 2. Inbound scope

    private func inboundScoped() throws -> SyncHarness {
        var user = TestRule.adUser()
        user.containers = [FakeDN.staff]
        user.filter = "(!(title=Contractor))"
        user.memberOf = [cloud]
        return try SyncHarness(rules: try TestRules.make(inbound: [user, TestRule.adGroup()]))
    }

    @Test func inboundScopeNeedsTheContainerTheFilterAndMembership() async throws {
        let h = try inboundScoped()
        let s = h.source
        let members = [s.addUser("in"), s.addUser("elsewhere", in: FakeDN.other), s.addUser("contractor", ["title": ["Contractor"]])]
        s.addUser("nonmember")
        s.addGroup("Cloud", members: members)
        try await h.run()

        #expect(try h.mv(anchor("in")) != nil)
        for outside in ["elsewhere", "contractor", "nonmember"] {
            #expect(try h.mv(anchor(outside)) == nil, "\(outside)")
            #expect(try h.sourceObject("ad", anchor(outside))?.mvID == nil, "\(outside) stays a disconnector")
        }
        #expect(try h.mv(anchor("cloud"))?.references["member"] == [try h.ref(anchor("in"))])
        #expect(try h.exports("a").count == 2 && h.exports("b").count == 2, "the user and the group")
    }

    @Test func anObjectLeavingInboundScopeLeavesTheMetaverseAndIsDeletedInEveryTarget() async throws {
        let h = try inboundScoped()
        let s = h.source
        let leavers = ["byFilter", "byContainer", "byMembership"]
        let dns = leavers.map { s.addUser($0) } + [s.addUser("stays")]
        s.addGroup("Cloud", members: dns)
        try await h.run()
        try h.completeAllExports()
        var targetIDs: [String: Int64] = [:]
        for target in ["a", "b"] {
            for cn in leavers { targetIDs[target + cn] = try #require(try h.targetObject(target, anchor(cn))?.id) }
        }

        s.set(dns[0], "title", ["Contractor"])
        let moved = s.move(dns[1], to: FakeDN.other)
        s.setMembers(of: cloud, [dns[0], moved, dns[3]])
        try await h.run()

        for cn in leavers {
            #expect(try h.mv(anchor(cn)) == nil, "\(cn) left the metaverse")
            for target in ["a", "b"] {
                let id = try #require(targetIDs[target + cn])
                #expect(try h.store.read { try $0.pendingExport(csID: id) }?.operation == .delete, "\(cn) in \(target)")
                #expect(try h.store.read { try $0.csObject(id: id) }?.mvID == nil)
            }
        }
        for target in ["a", "b"] {
            #expect(try h.export(target, anchor("cloud"))?.references["members"] == [try h.ref(anchor("stays"))])
            #expect(try h.export(target, anchor("stays")) == nil, "unchanged: nothing queued")
        }
    }

    // MARK: 3. Outbound per-target scope

    /// Target "b" holds the members of Cloud (directly or through Nested); target "a" everyone.
    private func outboundScoped() throws -> SyncHarness {
        var bUser = TestRule.scimUser(connector: "b"), bGroup = TestRule.scimGroup(connector: "b")
        bUser.memberOf = [cloud]
        bGroup.memberOf = [cloud]
        let outbound = [TestRule.scimUser(connector: "a"), bUser, TestRule.scimGroup(connector: "a"), bGroup]
        let h = try SyncHarness(rules: try TestRules.make(outbound: outbound))
        let s = h.source
        let direct = s.addUser("direct"), deep = s.addUser("deep"), outsider = s.addUser("outsider")
        s.addGroup("Nested", members: [deep])
        s.addGroup("Cloud", members: [direct, nested])
        s.addGroup("Other", members: [outsider])
        return h
    }

    @Test func aScopedTargetGetsOnlyTheTransitiveMembersOfItsGroup() async throws {
        let h = try outboundScoped()
        try await h.run()

        let everyone = try Set(["direct", "deep", "outsider", "nested", "cloud", "other"].map { try h.mvID(anchor($0)) })
        let cloudMembers = try Set(["direct", "deep", "nested", "cloud"].map { try h.mvID(anchor($0)) })
        #expect(try h.provisioned("a") == everyone)
        #expect(try h.provisioned("b") == cloudMembers)
        #expect(try h.exports("b").count == 4)
        #expect(try h.export("b", anchor("outsider")) == nil)
    }

    @Test func aUserAddedToTheNestedGroupIsProvisionedToTheScopedTargetAloneAndRemovedAgain() async throws {
        let h = try outboundScoped()
        try await h.run()
        try h.completeAllExports()
        let outsider = "CN=outsider,\(FakeDN.staff)"

        h.source.addMember(outsider, to: nested)      // the group changes, the user does not
        try await h.run()
        #expect(try h.export("b", anchor("outsider"))?.operation == .add)
        #expect(try h.provisioned("b").contains(try h.mvID(anchor("outsider"))))
        #expect(try Set(h.export("b", anchor("nested"))?.references["members"] ?? [])
                == Set([h.ref(anchor("deep")), h.ref(anchor("outsider"))]))
        #expect(try h.export("a", anchor("outsider")) == nil, "a holds it already")
        try h.completeAllExports()
        let inB = try #require(try h.targetObject("b", anchor("outsider"))?.id)

        h.source.removeMember(outsider, from: nested)
        try await h.run()
        #expect(try h.store.read { try $0.pendingExport(csID: inB) }?.operation == .delete)
        #expect(try !h.provisioned("b").contains(try h.mvID(anchor("outsider"))))
        #expect(try h.export("b", anchor("nested"))?.references["members"] == [try h.ref(anchor("deep"))])
        #expect(try h.provisioned("a").contains(try h.mvID(anchor("outsider"))))
        #expect(try h.export("a", anchor("outsider")) == nil, "a keeps it")
        try expectOnlyNestedChanged(in: "a", h)
    }

    // MARK: 4. Deprovisioning: delete or disable

    /// "a" deletes, "b" disables users that leave the outbound scope (contractors).
    private func deprovisioning() throws -> SyncHarness {
        var user = TestRule.scimUser()
        user.filter = "(!(jobTitle=Contractor))"
        var disabling = TargetPolicy(name: "b")
        disabling.deprovision = .disable
        let h = try SyncHarness(rules: try TestRules.make(outbound: [user, TestRule.scimGroup()]),
                                targets: [TargetPolicy(name: "a"), disabling])
        h.source.addUser("ada")
        return h
    }

    @Test func leavingTheScopeQueuesADeleteOrDisablesAndComingBackEnablesTheSameObject() async throws {
        let h = try deprovisioning()
        let ada = "CN=ada,\(FakeDN.staff)"
        try await h.run()
        try h.completeAllExports()
        let inA = try #require(try h.targetObject("a", anchor("ada"))?.id)
        let inB = try #require(try h.targetObject("b", anchor("ada")))

        h.source.set(ada, "title", ["Contractor"])
        try await h.run()
        let mvID = try h.mvID(anchor("ada"))
        #expect(try h.store.read { try $0.pendingExport(csID: inA) }?.operation == .delete)
        let disabled = try #require(try h.store.read { try $0.csObject(id: inB.id!) })
        #expect(disabled.deprovisionedAt != nil && disabled.mvID == mvID, "kept, linked, marked")
        let disable = try #require(try h.store.read { try $0.pendingExport(csID: inB.id!) })
        #expect(disable.operation == .update && disable.attributes["active"] == ["false"])
        #expect(disable.attributes["userName"] == inB.attributes["userName"], "the rest as exported")
        #expect(try !h.provisioned("b").contains(mvID))
        try h.completeAllExports()

        h.source.set(ada, "title", nil)
        try await h.run()
        let back = try #require(try h.targetObject("b", anchor("ada")))
        #expect(back.id == inB.id && back.deprovisionedAt == nil)
        let enable = try #require(try h.export("b", anchor("ada")))
        #expect(enable.operation == .update && enable.attributes["active"] == ["true"])
        #expect(try h.provisioned("b").contains(mvID))
        #expect(try h.export("a", anchor("ada"))?.operation == .add, "a deleted it: created again")
    }

    @Test func aSourceDeletedUserKeepsItsDisabledObjectWhichIsReusedWhenItComesBack() async throws {
        let h = try deprovisioning()
        try await h.run()
        try h.completeAllExports()
        let inB = try #require(try h.targetObject("b", anchor("ada"))?.id)

        let entry = h.source.delete("CN=ada,\(FakeDN.staff)")
        try await h.run()
        #expect(try h.mv(anchor("ada")) == nil)
        let orphan = try #require(try h.store.read { try $0.csObject(id: inB) })
        #expect(orphan.mvID == nil && orphan.deprovisionedAt != nil, "unlinked, disabled, kept")
        #expect(try h.store.read { try $0.pendingExport(csID: inB) }?.attributes["active"] == ["false"])
        try h.completeAllExports()

        h.source.add(entry)                              // restored: the same objectGUID, so the same externalId
        try await h.run()
        let back = try #require(try h.targetObject("b", anchor("ada")))
        #expect(back.id == inB && back.deprovisionedAt == nil)
        #expect(try h.export("b", anchor("ada"))?.attributes["active"] == ["true"])
        #expect(try h.targetObjects("b").filter { $0.objectType == .user }.count == 1, "no second object")
    }

    // MARK: 5. Group members per target

    @Test func aPushedGroupListsOnlyTheMembersTheTargetHolds() async throws {
        var bUser = TestRule.scimUser(connector: "b")
        bUser.memberOf = [cloud]
        let h = try SyncHarness(rules: try TestRules.make(outbound: [TestRule.scimUser(connector: "a"), bUser, TestRule.scimGroup()]))
        let inside = h.source.addUser("inside"), outside = h.source.addUser("outside")
        h.source.addGroup("Cloud", members: [inside])
        h.source.addGroup("All", members: [inside, outside])
        try await h.run()

        let (insideRef, outsideRef) = (try h.ref(anchor("inside")), try h.ref(anchor("outside")))
        #expect(try Set(h.export("a", anchor("all"))?.references["members"] ?? []) == [insideRef, outsideRef])
        #expect(try h.export("b", anchor("all"))?.references["members"] == [insideRef])
        try h.completeAllExports()

        h.source.delete(inside)                          // the groups still name it
        try await h.run()
        #expect(try h.mv(anchor("inside")) == nil)
        #expect(try h.export("a", anchor("all"))?.references["members"] == [outsideRef])
        #expect(try h.export("b", anchor("all"))?.references["members"] == nil)
        for target in ["a", "b"] {
            #expect(try h.export(target, anchor("cloud"))?.references["members"] == nil, "\(target)")
            let groups = try h.targetObjects(target).filter { $0.objectType == .group }.compactMap(\.id)
            for id in groups {
                let desired = try h.store.read { try $0.pendingExport(csID: id) }?.references["members"] ?? []
                #expect(!desired.contains(insideRef))
            }
        }
    }

    @Test(arguments: [false, true])
    func aMemberLeavingTheScopedTargetLeavesItsGroupsThere(delta: Bool) async throws {
        var bUser = TestRule.scimUser(connector: "b")
        bUser.memberOf = [cloud]
        let h = try SyncHarness(rules: try TestRules.make(outbound: [TestRule.scimUser(connector: "a"), bUser, TestRule.scimGroup()]))
        let inside = h.source.addUser("inside"), leaving = h.source.addUser("leaving")
        h.source.addGroup("Cloud", members: [inside, leaving])
        h.source.addGroup("All", members: [inside, leaving])
        try await h.run()
        try h.completeAllExports()

        h.source.setMembers(of: cloud, [inside])       // only Cloud changes; All still names it
        try await h.run(delta: delta)
        #expect(try h.export("b", anchor("all"))?.references["members"] == [try h.ref(anchor("inside"))])
        #expect(try h.export("a", anchor("all")) == nil, "a holds both: unchanged")
    }

    /// "ad" projects users and groups; "hr" joins users by employeeID and gives their department, which b scopes on.
    private func departmentScoped() throws -> SyncHarness {
        let inbound = [
            TestRule.adUser(), TestRule.adGroup(),
            TestRule(name: "HR users", type: .user, connector: "hr", precedence: 50, joins: [("employeeID", "employeeID")],
                     projection: false, flows: [("department", "department")]),
        ]
        var bUser = TestRule.scimUser(connector: "b")
        bUser.filter = "(department=Sales)"
        let outbound = [TestRule.scimUser(connector: "a"), bUser, TestRule.scimGroup()]
        let h = try SyncHarness(sources: [FakeSource(name: "ad"), FakeSource(name: "hr")],
                                rules: try TestRules.make(inbound: inbound, outbound: outbound))
        let (ad, hr) = (h.sources[0], h.sources[1])
        ad.addGroup("Team", members: [ad.addUser("ada", ["employeeID": ["E1"]]), ad.addUser("bob", ["employeeID": ["E2"]])])
        hr.addUser("ada-hr", ["employeeID": ["E1"], "department": ["Sales"]])
        hr.addUser("bob-hr", ["employeeID": ["E2"], "department": ["Sales"]])
        return h
    }

    /// The users enter b in hr's sync, after ad's sync pushed Team.
    @Test func aGroupOfOneSourceListsTheMembersThatEnterATargetThroughAnotherSource() async throws {
        let h = try departmentScoped()
        try await h.run()
        let both = try Set(["ada", "bob"].map { try h.ref(anchor($0)) })
        #expect(try h.provisioned("b").isSuperset(of: Set(["ada", "bob"].map { try h.mvID(anchor($0)) })))
        let pushed = try Set(h.export("b", anchor("team"))?.references["members"] ?? [])
        #expect(pushed == both)
        try await h.run(delta: true)
        let afterNextCycle = try Set(h.export("b", anchor("team"))?.references["members"] ?? [])
        #expect(afterNextCycle == both, "not by the next delta cycle either")
    }

    @Test(arguments: [false, true])
    func aMemberLeavingATargetThroughAnotherSourceLeavesItsGroupThere(delta: Bool) async throws {
        let h = try departmentScoped()
        try await h.run()
        try await h.run()       // a second full cycle: ad's sync pushes Team with the members b holds by now
        #expect(try h.export("b", anchor("team"))?.references["members"]?.count == 2)
        try h.completeAllExports()

        h.sources[1].set("CN=ada-hr,\(FakeDN.staff)", "department", ["Finance"])
        try await h.run(delta: delta)
        #expect(try !h.provisioned("b").contains(try h.mvID(anchor("ada"))), "ada left b")
        let (members, bob) = (try h.export("b", anchor("team"))?.references["members"], [try h.ref(anchor("bob"))])
        #expect(members == bob, "b's Team no longer lists ada")
    }

    // MARK: 6. Nothing changed, nothing queued

    @Test func aSecondSyncWithNothingChangedQueuesNothingNew() async throws {
        let h = try outboundScoped()
        h.source.set("CN=deep,\(FakeDN.staff)", "manager", ["CN=direct,\(FakeDN.staff)"])
        try await h.run()
        let queued = try ["a", "b"].map { try h.exports($0) }
        let objects = try ["a", "b"].map { try h.targetObjects($0).count }
        #expect(queued.allSatisfy { !$0.isEmpty })

        try await h.run()
        #expect(try ["a", "b"].map { try h.exports($0) } == queued, "the same pending exports")
        #expect(try ["a", "b"].map { try h.targetObjects($0).count } == objects)

        try h.completeAllExports()
        try await h.run()
        try await h.run(delta: true)
        #expect(try h.exports("a").isEmpty && h.exports("b").isEmpty)
        #expect(try ["a", "b"].map { try h.targetObjects($0).count } == objects)
    }

    // MARK: Delta syncs

    @Test func aDeltaSyncAfterOnlyAGroupChangeReevaluatesTheOutboundScopeOfItsMembers() async throws {
        let h = try outboundScoped()
        try await h.run()
        try h.completeAllExports()
        let outsider = "CN=outsider,\(FakeDN.staff)"

        h.source.addMember(outsider, to: nested)
        try await h.run(delta: true)
        #expect(try h.export("b", anchor("outsider"))?.operation == .add)
        #expect(try h.export("a", anchor("outsider")) == nil)
        try h.completeAllExports()
        let inB = try #require(try h.targetObject("b", anchor("outsider"))?.id)

        h.source.removeMember(outsider, from: nested)
        try await h.run(delta: true)
        #expect(try h.store.read { try $0.pendingExport(csID: inB) }?.operation == .delete)
        try expectOnlyNestedChanged(in: "a", h)
    }

    /// The target's only pending export is Nested's update, which lists its one remaining member.
    private func expectOnlyNestedChanged(in target: String, _ h: SyncHarness) throws {
        let nestedInTarget = try #require(try h.targetObject(target, anchor("nested"))?.id)
        #expect(try h.exports(target).map(\.csID) == [nestedInTarget])
        #expect(try h.export(target, anchor("nested"))?.references["members"] == [try h.ref(anchor("deep"))])
    }

    @Test func aDeltaSyncAfterOnlyAGroupChangeReevaluatesTheInboundScopeOfItsMembers() async throws {
        let h = try inboundScoped()
        let stays = h.source.addUser("stays"), leaves = h.source.addUser("leaves"), joins = h.source.addUser("joins")
        h.source.addGroup("Cloud", members: [stays, leaves])
        try await h.run()
        try h.completeAllExports()
        #expect(try h.mv(anchor("leaves")) != nil && h.mv(anchor("joins")) == nil)

        h.source.setMembers(of: cloud, [stays, joins])  // the users themselves do not change
        try await h.run(delta: true)
        let (left, joined) = (try h.sourceObject("ad", anchor("leaves"))?.mvID, try h.sourceObject("ad", anchor("joins"))?.mvID)
        #expect(left == nil, "out of the inbound scope: disconnected")
        #expect(joined != nil, "into the inbound scope: projected")
        #expect(try h.mv(anchor("leaves")) == nil)
        #expect(try h.export("a", anchor("joins"))?.operation == .add)
    }
}
