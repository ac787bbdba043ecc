import Foundation
import SCIM
import SyncStore
import Testing
@testable import SyncEngine

/// The export and what it knows of its target: the attributes the rules manage there (a PATCH touches
/// nothing else) and the target's schema catalog (read once per run, it decides the values' shapes).
@Suite("Export: managed attributes and the target's schema")
struct ExportSchemaTests {
    static let contoso = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
    /// What the rules of these tests flow to the target: no `title`.
    let managed: [ObjectType: Set<String>] = [.user: ["externalId", "userName", "displayName", "active"], .group: []]

    func user(_ name: String, displayName: String? = nil) -> AttributeMap {
        ["externalId": ["guid-\(name)"], "userName": ["\(name)@contoso.test"], "displayName": [displayName ?? name.capitalized],
         "active": ["true"]]
    }

    @Test("an adopted object keeps the attributes the rules do not manage; the built-in set would have removed them")
    func adoptionLeavesUnmanagedAttributes() async throws {
        let bench = try ExportBench()
        let held = bench.target.seed(.user, ["externalId": "guid-alice", "userName": "alice@contoso.test", "displayName": "Old",
                                             "title": "Set by the application", "active": true])
        _ = try bench.add(.user, user("alice"))
        try bench.expectSuccess(await bench.export(managed: managed))
        let sent = bench.target.requests.filter { $0.method == "PATCH" }
        #expect(sent.flatMap(\.operationPaths) == ["displayName"])
        #expect(bench.target.resource(.user, id: held)?.value(forAttribute: "title")?.stringValue == "Set by the application")

        // The contrast: the built-in set manages `title`, so the same adoption removes it.
        let other = try ExportBench()
        let heldThere = other.target.seed(.user, ["externalId": "guid-alice", "userName": "alice@contoso.test", "displayName": "Old",
                                                  "title": "Set by the application", "active": true])
        _ = try other.add(.user, user("alice"))
        try other.expectSuccess(await other.export())
        #expect(other.target.resource(.user, id: heldThere)?.value(forAttribute: "title") == nil)
    }

    @Test("an attribute the rules stopped flowing is left in the target; a managed one that lost its value is removed")
    func updatesTouchOnlyManagedAttributes() async throws {
        let bench = try ExportBench()
        var first = user("alice")
        first["title"] = ["Engineer"]
        let alice = try bench.add(.user, first)
        try bench.expectSuccess(await bench.export())
        let id = try #require(try bench.cs(alice.cs).anchor)
        #expect(bench.target.resource(.user, id: id)?.value(forAttribute: "title")?.stringValue == "Engineer")

        // The rules no longer flow `title`, and the user lost its display name in the source.
        bench.target.clearLog()
        var next = user("alice")
        next["displayName"] = nil
        try bench.queue(alice.cs, .update, next)
        try bench.expectSuccess(await bench.export(managed: managed))
        #expect(bench.target.requests.flatMap(\.operationPaths) == ["displayName"])
        let resource = try #require(bench.target.resource(.user, id: id))
        #expect(resource.value(forAttribute: "title")?.stringValue == "Engineer")
        #expect(resource.value(forAttribute: "displayName") == nil)
        #expect(try bench.pending(alice.cs) == nil)
    }

    @Test("a disabled user's active: false is written even when no rule flows active")
    func deprovisioningWritesActiveOutsideTheRules() async throws {
        let bench = try ExportBench()
        let alice = try bench.add(.user, user("alice"))
        try bench.expectSuccess(await bench.export())
        let id = try #require(try bench.cs(alice.cs).anchor)
        var disabled = user("alice")
        disabled["active"] = ["false"]
        try bench.queue(alice.cs, .update, disabled)
        try bench.expectSuccess(await bench.export(managed: [.user: ["userName"], .group: []]))
        #expect(bench.target.resource(.user, id: id)?.value(forAttribute: "active") == false)
        #expect(bench.target.resource(.user, id: id)?.value(forAttribute: "displayName")?.stringValue == "Alice")
    }

    @Test("the target's catalog is read once per run and gives the values their types and shapes")
    func catalogShapesValuesAndIsReadOnce() async throws {
        let bench = try ExportBench()
        bench.target.serveSchemas(SCIMSchemaCatalog(schemas: [
            SCIMSchemaDefinition(id: SCIMResourceType.users.coreSchema, attributes: [
                .init(name: "userName", required: true), .init(name: "displayName"), .init(name: "active", type: .boolean)]),
            SCIMSchemaDefinition(id: Self.contoso, attributes: [.init(name: "loginCount", type: .integer), .init(name: "tags", multiValued: true)]),
        ], resourceTypes: []))
        var alice = user("alice"), bob = user("bob")
        alice["\(Self.contoso):loginCount"] = ["42"]
        alice["\(Self.contoso):tags"] = ["a", "b"]
        bob["\(Self.contoso):tags"] = ["c"]
        let created = try bench.add(.user, alice)
        _ = try bench.add(.user, bob)
        try bench.expectSuccess(await bench.export())
        #expect(bench.target.catalogReads == 1)
        let id = try #require(try bench.cs(created.cs).anchor)
        let resource = try #require(bench.target.resource(.user, id: id))
        #expect(resource[Self.contoso] == ["loginCount": 42, "tags": ["a", "b"]])
        #expect(bench.target.resource(.user, externalId: "guid-bob")?[Self.contoso] == ["tags": ["c"]],
                "one value of a multi-valued attribute is still a list")

        alice["\(Self.contoso):loginCount"] = ["43"]
        try bench.queue(created.cs, .update, alice)
        bench.target.clearLog()
        try bench.expectSuccess(await bench.export())
        #expect(bench.target.catalogReads == 2)
        let patch = try #require(bench.target.requests.first { $0.method == "PATCH" })
        #expect(patch.operations.first?.value(forAttribute: "value") == 43)
    }
}
