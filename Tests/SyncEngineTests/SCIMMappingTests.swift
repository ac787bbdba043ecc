import SCIM
import SyncStore
import Testing
@testable import SyncEngine

@Suite("SCIM mapping")
struct SCIMMappingTests {
    let user: AttributeMap = [
        "externalId": ["a1"], "userName": ["alice@contoso.test"], "name.givenName": ["Alice"], "name.familyName": ["Liddell"],
        "emails": ["alice@example.com"], "active": ["false"], "enterprise.department": ["Wonder"], "enterprise.manager": ["m-id"],
    ]

    let references = SCIMMapping.References(baseURL: "https://scim.example/v2", types: ["g1": .group])

    @Test func resourceShape() {
        let json = SCIMMapping.resource(.user, user, references: references)
        #expect(json["userName"] == "alice@contoso.test")
        #expect(json["name"]?["givenName"] == "Alice")
        #expect(json["active"] == .bool(false))
        #expect(json["emails"] == [["value": "alice@example.com"]], "only value: some servers refuse type and primary")
        #expect(json[SCIMSchema.enterpriseUser]?["department"] == "Wonder")
        #expect(json[SCIMSchema.enterpriseUser]?["manager"]?["value"] == "m-id")
        #expect(json["schemas"]?.arrayValue?.contains(.string(SCIMSchema.enterpriseUser)) == true)
        #expect(SCIMMapping.attributes(.user, from: json) == user)
    }

    @Test func oneChangedAttributeIsOneReplace() {
        var changed = user
        changed["name.givenName"] = ["Alicia"]
        let operations = SCIMMapping.patchOperations(.user, from: user, to: changed, references: references)
        #expect(operations == [SCIMPatchOperation(.replace, path: "name.givenName", value: "Alicia")])
    }

    @Test func removedAttributesAreRemoved() {
        var changed = user
        changed["enterprise.department"] = nil
        #expect(SCIMMapping.patchOperations(.user, from: user, to: changed, references: references)
                == [SCIMPatchOperation(.remove, path: SCIMSchema.enterpriseUser + ":department")])
    }

    @Test func equalMapsNeedNoPatch() {
        #expect(SCIMMapping.patchOperations(.user, from: user, to: user, references: references).isEmpty)
    }

    @Test func membersChangeByValue() {
        let old: AttributeMap = ["displayName": ["G"], "members": ["a", "b", "c"]]
        let new: AttributeMap = ["displayName": ["G"], "members": ["a", "c", "g1"]]
        #expect(SCIMMapping.patchOperations(.group, from: old, to: new, references: references) == [
            SCIMPatchOperation(.add, path: "members", value: [["value": "g1", "$ref": "https://scim.example/v2/Groups/g1"]]),
            SCIMPatchOperation(.remove, path: "members[value eq \"b\"]"),
        ])
        // For servers that cannot remove by filter: the whole list.
        #expect(SCIMMapping.patchOperations(.group, from: old, to: new, references: references, replaceMembers: true) == [
            SCIMPatchOperation(.replace, path: "members", value: [
                ["value": "a", "$ref": "https://scim.example/v2/Users/a"], ["value": "c", "$ref": "https://scim.example/v2/Users/c"],
                ["value": "g1", "$ref": "https://scim.example/v2/Groups/g1"],
            ]),
        ])
    }

    @Test func groupsAlwaysCarryMembers() {
        #expect(SCIMMapping.resource(.group, ["displayName": ["Empty"]], references: references)["members"] == [])
    }
}

@Suite("Flow expressions")
struct FlowExpressionTests {
    let attributes: AttributeMap = ["givenName": ["Ada"], "sn": ["Lovelace"], "userAccountControl": ["514"],
                                    "member": ["CN=A,DC=x", "CN=Gone,DC=x"]]

    @Test func accountEnabledFromUserAccountControl() {
        #expect(FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate(attributes) { _ in nil } == ["false"])
        #expect(FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate(["userAccountControl": ["512"]]) { _ in nil } == ["true"])
        #expect(FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate([:]) { _ in nil } == [])
    }

    @Test func coalesceConcatAndCase() {
        let name = FlowExpression.coalesce([.attribute("displayName"), .concat([.attribute("givenName"), .attribute("sn")], separator: " ")])
        #expect(name.evaluate(attributes) { _ in nil } == ["Ada Lovelace"])
        #expect(FlowExpression.upper(.attribute("sn")).evaluate(attributes) { _ in nil } == ["LOVELACE"])
        #expect(FlowExpression.lower(.attribute("sn")).evaluate(attributes) { _ in nil } == ["lovelace"])
        #expect(FlowExpression.constant("x").evaluate([:]) { _ in nil } == ["x"])
    }

    @Test func referencesResolveOrDrop() {
        let resolved = FlowExpression.reference("member").evaluate(attributes) { $0 == "CN=A,DC=x" ? "mv:7" : nil }
        #expect(resolved == ["mv:7"])
    }
}
