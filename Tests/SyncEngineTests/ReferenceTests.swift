import Foundation
import Logging
import SyncStore
import Testing
@testable import SyncEngine

/// References are typed values beside the attributes, never text: a directory value spelled like the old
/// text form ("mv:1") is a plain string from the directory to the target.
@Suite("References: typed, and text that looks like one stays text")
struct ReferenceTests {
    private func anchor(_ cn: String) -> String { FakeSource.anchor(cn) }

    @Test("a user whose description is \"mv:1\" syncs as that text, beside a real manager reference")
    func textSpelledLikeAReferenceStaysText() async throws {
        let inbound = [
            TestRule(name: "In - User", type: .user, connector: "ad", flows: TestRule.adUserFlows + [("description", "description")]),
            TestRule(name: "In - Group", type: .group, connector: "ad", flows: TestRule.adGroupFlows + [("description", "description")]),
        ]
        let outbound = [
            TestRule(name: "Out - User", type: .user, flows: TestRule.scimUserFlows + [("nickName", "description")]),
            // A group's displayName from its description: the pushed group's reference filter must leave it alone.
            TestRule(name: "Out - Group", type: .group, flows: [("externalId", "sourceAnchor"), ("displayName", "description"),
                                                                ("members", "member")]),
        ]
        let h = try SyncHarness(rules: try TestRules.make(inbound: inbound, outbound: outbound), targets: [TargetPolicy(name: "a")])
        let boss = h.source.addUser("boss")
        let ada = h.source.addUser("ada", ["description": ["mv:1"], "manager": [boss]])
        let team = h.source.addGroup("Team", members: [ada])
        h.source.set(team, "description", ["mv:999"])
        try await h.run()

        #expect(try h.mvID(anchor("boss")) == 1, "the text names an existing metaverse object")
        let mv = try #require(try h.mv(anchor("ada")))
        #expect(mv.attributes["description"] == ["mv:1"])
        #expect(mv.references["description"] == nil)
        #expect(mv.references["manager"] == [.metaverse(1)])
        let export = try #require(try h.export("a", anchor("ada")))
        #expect(export.attributes["nickName"] == ["mv:1"])
        #expect(export.references["nickName"] == nil)
        #expect(try h.export("a", anchor("team"))?.attributes["displayName"] == ["mv:999"])

        // Through the export: the text arrives as text, the manager as the boss's id in the target.
        let target = FakeTarget(name: "a")
        let run = await Export(store: h.store, target: target, logger: Logger(label: "reference-tests"), deletionLimit: 500,
                               events: { _ in }).run()
        #expect(run.status == .success, "\(run.status.rawValue) \(run.message ?? "")")
        let bossID = try #require(try h.targetObject("a", anchor("boss"))?.anchor)
        let user = try #require(target.resource(.user, externalId: anchor("ada")))
        #expect(user.value(forAttribute: "nickName")?.stringValue == "mv:1")
        let enterprise = user.value(forAttribute: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        #expect(enterprise?.value(forAttribute: "manager")?.value(forAttribute: "value")?.stringValue == bossID)
        let group = try #require(target.resource(.group, externalId: anchor("team")))
        #expect(group.value(forAttribute: "displayName")?.stringValue == "mv:999")
        let adaID = try #require(try h.targetObject("a", anchor("ada"))?.anchor)
        #expect(target.members(ofGroup: group.value(forAttribute: "id")?.stringValue ?? "") == [adaID])
        // What the target connector space says was exported: the text as text, the reference as a reference.
        let exported = try #require(try h.targetObject("a", anchor("ada")))
        #expect(exported.attributes["nickName"] == ["mv:1"])
        #expect(exported.references["enterprise.manager"] == [.metaverse(1)])
    }
}
