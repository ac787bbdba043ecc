import IDSyncTesting
import Logging
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


/// Any RFC 7643 path and custom extensions: writing, reading back, PATCH.
@Suite("SCIM mapping: attribute paths")
struct SCIMPathMappingTests {
    static let contoso = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
    let references = SCIMMapping.References(baseURL: "https://scim.example/v2")

    /// A target schema: typed custom attributes, and an emails element whose `value` cannot change in place.
    static let catalog = SCIMSchemaCatalog(schemas: [
        SCIMSchemaDefinition(id: SCIMResourceType.users.coreSchema, attributes: [
            .init(name: "userName", required: true), .init(name: "active", type: .boolean),
            .init(name: "emails", type: .complex, multiValued: true, subAttributes: [
                .init(name: "value", mutability: .immutable), .init(name: "type"), .init(name: "primary", type: .boolean)]),
        ]),
        SCIMSchemaDefinition(id: contoso, attributes: [
            .init(name: "loginCount", type: .integer), .init(name: "score", type: .decimal), .init(name: "vip", type: .boolean),
            .init(name: "hireDate", type: .dateTime), .init(name: "tags", multiValued: true),
        ]),
    ], resourceTypes: [])

    func patch(_ old: AttributeMap, _ new: AttributeMap, schema: SCIMSchemaCatalog? = nil, replaceLists: Bool = false) -> [SCIMPatchOperation] {
        SCIMMapping.patchOperations(.user, from: old, to: new, references: references, replaceMembers: replaceLists, schema: schema)
    }

    @Test func resourceShapeOfPaths() {
        let json = SCIMMapping.resource(.user, [
            "userName": ["a"], "nickName": ["Al"], "name.middleName": ["M"], "emails": ["plain@x"],
            "emails[type eq \"work\"].value": ["w1@x", "w2@x"], "emails[type eq \"work\"].primary": ["true"],
            "addresses[type eq \"work\"].streetAddress": ["1 Main"], "roles": ["r1", "r2"],
            "enterprise.costCenter": ["42"], "\(Self.contoso):cloudAttribute1": ["c1"],
        ], references: references)
        #expect(json["nickName"] == "Al")
        #expect(json["name"] == ["middleName": "M"])
        #expect(json["emails"] == [["value": "plain@x"], ["type": "work", "value": "w1@x", "primary": true], ["type": "work", "value": "w2@x"]])
        #expect(json["addresses"] == [["type": "work", "streetAddress": "1 Main"]])
        #expect(json["roles"] == [["value": "r1"], ["value": "r2"]])
        #expect(json[SCIMSchema.enterpriseUser] == ["costCenter": "42"], "a string without a catalog")
        #expect(json[Self.contoso] == ["cloudAttribute1": "c1"])
        #expect(json["schemas"] == [.string(SCIMResourceType.users.coreSchema), .string(Self.contoso), .string(SCIMSchema.enterpriseUser)])
    }

    @Test func valuesByTheTargetsTypes() {
        let map: AttributeMap = ["userName": ["a"], "active": ["yes"], "\(Self.contoso):loginCount": ["42"], "\(Self.contoso):score": ["1.5"],
                                 "\(Self.contoso):vip": ["TRUE"], "\(Self.contoso):hireDate": ["2024-05-01T00:00:00Z"],
                                 "\(Self.contoso):tags": ["a", "b"]]
        let typed = SCIMMapping.resource(.user, map, references: references, schema: Self.catalog)
        #expect(typed[Self.contoso] == ["loginCount": 42, "score": .number(1.5), "vip": true, "hireDate": "2024-05-01T00:00:00Z", "tags": ["a", "b"]])
        #expect(typed["active"] == "yes", "a value that is no boolean is sent as it is, for the target to refuse, never as false")
        let untyped = SCIMMapping.resource(.user, map, references: references)
        #expect(untyped[Self.contoso]?["loginCount"] == "42")
        #expect(untyped[Self.contoso]?["tags"] == "a", "without a catalog an unknown attribute is single-valued")
        #expect(SCIMMapping.resource(.user, ["active": ["false"]], references: references)["active"] == false)
    }

    @Test func readingBackTakesOnlyManagedPaths() {
        let held: JSON = [
            "userName": "a", "nickName": "Al", "title": "T",
            "emails": [["value": "plain@x"], ["type": "work", "value": "w@x", "primary": true], ["type": "home", "value": "h@x"]],
            "urn:ietf:params:scim:schemas:extension:contoso:2.0:user": ["CLOUDATTRIBUTE1": "c1"],
        ]
        let managed: Set<String> = ["userName", "nickName", "emails", "emails[type eq \"work\"].value", "\(Self.contoso):cloudAttribute1"]
        #expect(SCIMMapping.attributes(.user, from: held, managed: managed) == [
            "userName": ["a"], "nickName": ["Al"], "emails[type eq \"work\"].value": ["w@x"],
            "emails": ["plain@x", "h@x"], "\(Self.contoso):cloudAttribute1": ["c1"],
        ], "unfiltered emails are those no managed filter selects; names compare case-insensitively")
        #expect(SCIMMapping.attributes(.user, from: held)["emails"] == ["plain@x", "w@x", "h@x"], "the built-in set, as before")
        #expect(SCIMMapping.attributes(.user, from: held)["nickName"] == nil)
    }

    @Test func oneElementChangesSubAttributeBySubAttribute() {
        let old: AttributeMap = ["emails[type eq \"work\"].value": ["w@x"], "emails[type eq \"work\"].primary": ["true"],
                                 "addresses[type eq \"work\"].streetAddress": ["1 Main"]]
        var new = old
        new["emails[type eq \"work\"].value"] = ["w2@x"]
        new["emails[type eq \"work\"].primary"] = nil
        new["addresses[type eq \"work\"].streetAddress"] = ["2 Main"]
        #expect(patch(old, new) == [
            SCIMPatchOperation(.replace, path: "addresses[type eq \"work\"].streetAddress", value: "2 Main"),
            SCIMPatchOperation(.remove, path: "emails[type eq \"work\"].primary"),
            SCIMPatchOperation(.replace, path: "emails[type eq \"work\"].value", value: "w2@x"),
        ])
        // The target says an email's value is immutable: the element is replaced whole.
        #expect(patch(old, new, schema: Self.catalog).filter { $0.path?.hasPrefix("emails") == true } == [
            SCIMPatchOperation(.remove, path: "emails[type eq \"work\"]"),
            SCIMPatchOperation(.add, path: "emails", value: [["type": "work", "value": "w2@x"]]),
        ])
    }

    @Test func elementsComeAndGoByTheirFilter() {
        let work = "phoneNumbers[type eq \"work\"].value", mobile = "phoneNumbers[type eq \"mobile\"].value"
        #expect(patch([work: ["1"]], [work: ["1"], mobile: ["2"]]) == [
            SCIMPatchOperation(.add, path: "phoneNumbers", value: [["type": "mobile", "value": "2"]]),
        ])
        #expect(patch([work: ["1"], mobile: ["2"]], [work: ["1"]]) == [SCIMPatchOperation(.remove, path: "phoneNumbers[type eq \"mobile\"]")])
        #expect(patch([work: ["1"]], [work: ["1", "3"]]) == [
            SCIMPatchOperation(.remove, path: "phoneNumbers[type eq \"work\"]"),
            SCIMPatchOperation(.add, path: "phoneNumbers", value: [["type": "work", "value": "1"], ["type": "work", "value": "3"]]),
        ])
        // A server that refuses filtered paths gets the whole list.
        #expect(patch([work: ["1"], mobile: ["2"]], [work: ["1"]], replaceLists: true) == [
            SCIMPatchOperation(.replace, path: "phoneNumbers", value: [["type": "work", "value": "1"]]),
        ])
    }

    @Test func unfilteredElementsReplaceTheWholeList() {
        let old: AttributeMap = ["emails": ["a@x"], "emails[type eq \"work\"].value": ["w@x"]]
        #expect(patch(old, ["emails": ["b@x"], "emails[type eq \"work\"].value": ["w@x"]]) == [
            SCIMPatchOperation(.replace, path: "emails", value: [["value": "b@x"], ["type": "work", "value": "w@x"]]),
        ])
        #expect(patch(["emails": ["a@x"]], [:]) == [SCIMPatchOperation(.remove, path: "emails")])
        #expect(patch(["roles": ["r1"]], ["roles": ["r1", "r2"]]) == [SCIMPatchOperation(.replace, path: "roles", value: [["value": "r1"], ["value": "r2"]])])
    }

    @Test func extensionsByURN() {
        let cloud = "\(Self.contoso):cloudAttribute1"
        #expect(patch([cloud: ["a"]], [cloud: ["b"], "enterprise.costCenter": ["7"]]) == [
            SCIMPatchOperation(.replace, path: SCIMSchema.enterpriseUser + ":costCenter", value: "7"),
            SCIMPatchOperation(.replace, path: cloud, value: "b"),
        ])
        #expect(patch([cloud: ["a"]], [:]) == [SCIMPatchOperation(.remove, path: cloud)])
        #expect(patch(["enterprise.manager": ["m1"]], ["enterprise.manager": ["m2"]]) == [
            SCIMPatchOperation(.replace, path: SCIMSchema.enterpriseUser + ":manager", value: ["value": "m2"]),
        ])
        #expect(patch(["\(Self.contoso):tags": ["a"]], ["\(Self.contoso):tags": ["a", "b"]], schema: Self.catalog) == [
            SCIMPatchOperation(.replace, path: "\(Self.contoso):tags", value: ["a", "b"]),
        ])
    }

    @Test func emptyStringsAreNoValue() {
        #expect(patch(["nickName": [""]], [:]).isEmpty)
        #expect(SCIMMapping.resource(.user, ["userName": ["a"], "nickName": [""]], references: references)["nickName"] == nil)
    }

    // MARK: Round trip

    /// Paths of every kind, with the values each may hold.
    static let pool: [(path: String, values: @Sendable (inout SplitMix) -> [String])] = [
        ("externalId", { [$0.word()] }), ("userName", { [$0.word() + "@contoso.test"] }), ("displayName", { [$0.word()] }),
        ("nickName", { [$0.word()] }), ("userType", { [$0.word()] }), ("preferredLanguage", { _ in ["en"] }),
        ("locale", { _ in ["en-US"] }), ("timezone", { _ in ["Europe/Paris"] }), ("title", { [$0.word()] }),
        ("active", { [$0.bool()] }), ("name.givenName", { [$0.word()] }), ("name.middleName", { [$0.word()] }),
        ("name.familyName", { [$0.word()] }),
        ("emails", { r in r.some { $0.word() + "@plain.test" } }),
        ("emails[type eq \"work\"].value", { r in r.some { $0.word() + "@work.test" } }),
        ("emails[type eq \"work\"].primary", { [$0.bool()] }),
        ("emails[type eq \"home\"].value", { r in r.some { $0.word() + "@home.test" } }),
        ("phoneNumbers[type eq \"mobile\"].value", { r in r.some { "+33 6 \($0.number())" } }),
        ("addresses[type eq \"work\"].streetAddress", { [$0.word() + " Street"] }),
        ("addresses[type eq \"work\"].locality", { [$0.word()] }),
        ("roles", { r in r.some { $0.word() } }), ("entitlements", { r in r.some { $0.word() } }),
        ("enterprise.department", { [$0.word()] }), ("enterprise.costCenter", { [$0.number()] }),
        ("enterprise.division", { [$0.word()] }), ("enterprise.manager", { [$0.word()] }),
        ("\(contoso):cloudAttribute1", { [$0.word()] }), ("\(contoso):hireDate", { _ in ["2024-05-01T00:00:00Z"] }),
    ]

    /// A random user: userName always, and a random choice of the other paths.
    static func randomUser(_ random: inout SplitMix) -> AttributeMap {
        var map: AttributeMap = [:]
        for (path, values) in pool where path == "userName" || random.next() % 2 == 0 { map[path] = values(&random) }
        return map
    }

    @Test("reading back what was written gives the same map", arguments: [nil, SCIMPathMappingTests.catalog])
    func roundTrip(schema: SCIMSchemaCatalog?) throws {
        var random = SplitMix(seed: 7)
        for _ in 0..<500 {
            let map = Self.randomUser(&random)
            let json = SCIMMapping.resource(.user, map, references: references, schema: schema)
            let back = SCIMMapping.attributes(.user, from: json, managed: Set(Self.pool.map(\.path)), schema: schema)
            try #require(back == map, "\(map) → \(json)")
            #expect(SCIMMapping.patchOperations(.user, from: back, to: map, references: references, schema: schema).isEmpty)
        }
    }

    @Test("against scim2-server: POST, PATCH to another random state, read back", .timeLimit(.minutes(2)))
    func scim2Server() async throws {
        let server = try await SCIMServer.start(customExtension: true)
        let client = SCIMClient(configuration: .init(baseURL: server.url), credentials: BearerToken(server.token), logger: Logger(label: "test"))
        let managed = Set(Self.pool.map(\.path))
        var random = SplitMix(seed: 11)
        do {
            let catalog = try #require(try await client.schemaCatalog())
            for round in 0..<12 {
                var old = Self.randomUser(&random), new = Self.randomUser(&random)
                old["userName"] = ["round\(round)@contoso.test"]
                new["userName"] = old["userName"]
                let created = try await client.create(.users, SCIMMapping.resource(.user, old, references: references, schema: catalog))
                let id = try #require(created["id"]?.stringValue)
                #expect(SCIMMapping.attributes(.user, from: try await client.get(.users, id: id), managed: managed, schema: catalog) == old,
                        "round \(round): created")
                let operations = SCIMMapping.patchOperations(.user, from: old, to: new, references: references, schema: catalog)
                if !operations.isEmpty { try await client.patch(.users, id: id, operations) }
                let held = SCIMMapping.attributes(.user, from: try await client.get(.users, id: id), managed: managed, schema: catalog)
                #expect(held == new, "round \(round): \(operations)")
            }
        } catch {
            await client.shutdown()
            try await server.stop()
            throw error
        }
        await client.shutdown()
        try await server.stop()
    }
}

/// A small seeded generator (SplitMix64), so a failing case is the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func word() -> String { String((0..<Int.random(in: 3...8, using: &self)).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement(using: &self)! }) }
    mutating func number() -> String { String(Int.random(in: 1...99_999, using: &self)) }
    mutating func bool() -> String { Bool.random(using: &self) ? "true" : "false" }
    /// One to three values.
    mutating func some(_ make: (inout SplitMix) -> String) -> [String] { (0..<Int.random(in: 1...3, using: &self)).map { _ in make(&self) } }
}

@Suite("Flow expressions")
struct FlowExpressionTests {
    let attributes: AttributeMap = ["givenName": ["Ada"], "sn": ["Lovelace"], "userAccountControl": ["514"],
                                    "member": ["CN=A,DC=x", "CN=Gone,DC=x"]]

    @Test func accountEnabledFromUserAccountControl() throws {
        #expect(try FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate(attributes, context: EvaluationContext()) == ["false"])
        #expect(try FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate(["userAccountControl": ["512"]], context: EvaluationContext()) == ["true"])
        #expect(try FlowExpression.bitsClear("userAccountControl", mask: 2).evaluate([:], context: EvaluationContext()) == [])
    }

    @Test func coalesceConcatAndCase() throws {
        let name = FlowExpression.coalesce([.attribute("displayName"), .concat([.attribute("givenName"), .attribute("sn")], separator: " ")])
        #expect(try name.evaluate(attributes, context: EvaluationContext()) == ["Ada Lovelace"])
        #expect(try FlowExpression.upper(.attribute("sn")).evaluate(attributes, context: EvaluationContext()) == ["LOVELACE"])
        #expect(try FlowExpression.lower(.attribute("sn")).evaluate(attributes, context: EvaluationContext()) == ["lovelace"])
        #expect(try FlowExpression.constant("x").evaluate([:], context: EvaluationContext()) == ["x"])
    }

    /// An expression gives a `ref()` attribute's DNs as they are; RuleSet.apply turns them into references.
    @Test func referencesAreDNsToAnExpression() throws {
        #expect(try FlowExpression.reference("member").evaluate(attributes, context: EvaluationContext()) == ["CN=A,DC=x", "CN=Gone,DC=x"])
    }
}
