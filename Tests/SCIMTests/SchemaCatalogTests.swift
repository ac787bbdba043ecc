import Foundation
import IDSyncTesting
import Logging
import Testing
@testable import SCIM

/// /Schemas and /ResourceTypes as a service provider might serve them: RFC 7643's User (trimmed), Group,
/// the enterprise extension, a custom extension listed for User and one listed nowhere.
enum SchemaFixtures {
    static let contoso = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"
    static let fabrikam = "urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User"

    static let schemas = #"""
    {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 5, "Resources": [
      {"id": "urn:ietf:params:scim:schemas:core:2.0:User", "name": "User", "attributes": [
        {"name": "userName", "type": "string", "required": true, "uniqueness": "server"},
        {"name": "name", "type": "complex", "subAttributes": [
          {"name": "givenName", "type": "string"}, {"name": "middleName", "type": "string"}]},
        {"name": "nickName", "type": "string"},
        {"name": "active", "type": "boolean"},
        {"name": "password", "type": "string", "mutability": "writeOnly", "returned": "never"},
        {"name": "profileUrl", "type": "reference", "referenceTypes": ["external"]},
        {"name": "emails", "type": "complex", "multiValued": true, "subAttributes": [
          {"name": "value", "type": "string"}, {"name": "type", "type": "string"}, {"name": "primary", "type": "boolean"}]},
        {"name": "addresses", "type": "complex", "multiValued": true, "subAttributes": [
          {"name": "streetAddress", "type": "string"}, {"name": "type", "type": "string"}]},
        {"name": "groups", "type": "complex", "multiValued": true, "mutability": "readOnly", "subAttributes": [
          {"name": "value", "type": "string", "mutability": "readOnly"},
          {"name": "$ref", "type": "reference", "referenceTypes": ["User", "Group"], "mutability": "readOnly"}]}
      ]},
      {"id": "urn:ietf:params:scim:schemas:core:2.0:Group", "name": "Group", "attributes": [
        {"name": "displayName", "type": "string", "required": true},
        {"name": "members", "type": "complex", "multiValued": true, "subAttributes": [
          {"name": "value", "type": "string", "mutability": "immutable"},
          {"name": "$ref", "type": "reference", "referenceTypes": ["User", "Group"], "mutability": "immutable"}]}
      ]},
      {"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "attributes": [
        {"name": "department", "type": "string"},
        {"name": "manager", "type": "complex", "subAttributes": [
          {"name": "value", "type": "string"}, {"name": "$ref", "type": "reference", "referenceTypes": ["User"]},
          {"name": "displayName", "type": "string", "mutability": "readOnly"}]}
      ]},
      {"id": "urn:ietf:params:scim:schemas:extension:contoso:2.0:User", "attributes": [
        {"name": "cloudAttribute1", "type": "string", "mutability": "readwrite"},
        {"name": "badgeNumber", "type": "string", "mutability": "readOnly"},
        {"name": "hireDate", "type": "dateTime"},
        {"name": "employeeKey", "type": "string", "mutability": "immutable"},
        {"name": "loginCount", "type": "integer"},
        {"name": "sponsor", "type": "reference", "referenceTypes": ["User"]},
        {"name": "tags", "type": "string", "multiValued": true}
      ]},
      {"id": "urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User", "attributes": [{"name": "x", "type": "string"}]}
    ]}
    """#

    static let resourceTypes = #"""
    [{"id": "User", "name": "User", "endpoint": "/Users", "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
      "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false},
                           {"schema": "urn:ietf:params:scim:schemas:extension:contoso:2.0:User", "required": false}]},
     {"id": "Group", "name": "Group", "endpoint": "/Groups", "schema": "urn:ietf:params:scim:schemas:core:2.0:Group"}]
    """#

    static func catalog() throws -> SCIMSchemaCatalog {
        try SCIMSchemaCatalog.decode(schemas: try JSON.decode(Data(schemas.utf8)), resourceTypes: try JSON.decode(Data(resourceTypes.utf8)))
    }
}

@Suite("SCIM schema catalog")
struct SchemaCatalogTests {
    let catalog: SCIMSchemaCatalog
    init() throws { catalog = try SchemaFixtures.catalog() }

    func problem(_ path: String, _ type: SCIMResourceType = .users, references: Bool = false) throws -> SchemaProblem.Kind? {
        catalog.problem(for: try SCIMPath(parsing: path), resourceType: type, holdsReferences: references)?.kind
    }

    @Test func decodesSchemasAndResourceTypes() throws {
        #expect(catalog.schemas.count == 5)
        let user = try #require(catalog.resourceType(.users))
        #expect(user.schema == SCIMResourceType.users.coreSchema)
        #expect(user.extensionEntry(SchemaFixtures.contoso) == .init(schema: SchemaFixtures.contoso, required: false))
        let badge = try #require(catalog.attribute(try SCIMPath(parsing: "\(SchemaFixtures.contoso):BADGENUMBER"), in: .users))
        #expect(badge.mutability == .readOnly)
        #expect(badge.type == .string)
        let cloud = try #require(catalog.attribute(try SCIMPath(parsing: "\(SchemaFixtures.contoso):cloudAttribute1"), in: .users))
        #expect(cloud.mutability == .readWrite, "keywords are read case-insensitively")
        #expect(cloud.returned == .default && cloud.uniqueness == .none && !cloud.multiValued, "RFC 7643 defaults")
        #expect(catalog.valueDefinition(try SCIMPath(parsing: "emails"), in: .users)?.name == "value")
        #expect(catalog.valueDefinition(try SCIMPath(parsing: "emails[type eq \"work\"].primary"), in: .users)?.type == .boolean)
        #expect(catalog.attribute(try SCIMPath(parsing: "externalId"), in: .groups)?.caseExact == true, "common attributes (§3.1)")
        #expect(catalog.attribute(try SCIMPath(parsing: "members"), in: .users) == nil, "members is a Group attribute")
    }

    @Test func acceptedFlows() throws {
        for path in ["userName", "nickName", "name.middleName", "emails", "emails[type eq \"work\"].value",
                     "emails[type eq \"work\"].primary", "addresses[type eq \"work\"].streetAddress", "enterprise.department",
                     "\(SchemaFixtures.contoso):cloudAttribute1", "\(SchemaFixtures.contoso):hireDate", "externalId",
                     "profileUrl", "\(SchemaFixtures.contoso):tags"] {
            #expect(try problem(path) == nil, "\(path)")
        }
        #expect(try problem("enterprise.manager", references: true) == nil)
        #expect(try problem("members", .groups, references: true) == nil)
    }

    @Test func problemsNameTheAttribute() throws {
        #expect(try problem("title") == .unknownAttribute)
        #expect(try problem("name.honorificPrefix") == .unknownSubAttribute("honorificPrefix"))
        #expect(try problem("emails[kind eq \"work\"].value") == .unknownSubAttribute("kind"))
        #expect(try problem("\(SchemaFixtures.contoso):nope") == .unknownAttribute)
        #expect(try problem("urn:ietf:params:scim:schemas:extension:nowhere:2.0:User:x") == .unknownSchema("urn:ietf:params:scim:schemas:extension:nowhere:2.0:User"))
        #expect(try problem("\(SchemaFixtures.fabrikam):x") == .extensionNotListed(SchemaFixtures.fabrikam))
        #expect(try problem("enterprise.department", .groups) == .extensionNotListed(SCIMSchema.enterpriseUser))
        #expect(try problem("\(SchemaFixtures.contoso):badgeNumber") == .readOnly)
        #expect(try problem("groups") == .readOnly)
        #expect(try problem("enterprise.manager.displayName") == .readOnly)
        // RFC 7643's own addresses is refused by SCIMPath already; the catalog says why for any attribute.
        #expect(catalog.problem(for: SCIMPath(attribute: "addresses"), resourceType: .users)?.kind == .complexWithoutSubAttribute)
        #expect(try problem("\(SchemaFixtures.contoso):hireDate[type eq \"x\"].value") == .singleValued)
        let described = catalog.problem(for: try SCIMPath(parsing: "\(SchemaFixtures.contoso):badgeNumber"), resourceType: .users)
        #expect(described?.description.contains("\(SchemaFixtures.contoso):badgeNumber") == true)
        #expect(described?.description.contains("readOnly") == true)
        #expect(described?.isError == true)
    }

    @Test func referencesMustMeetAttributesThatHoldIDs() throws {
        guard case .referenceMismatch? = try problem("enterprise.manager") else { Issue.record("a plain value to manager"); return }
        guard case .referenceMismatch? = try problem("\(SchemaFixtures.contoso):sponsor") else { Issue.record("a plain value to a User reference"); return }
        guard case .referenceMismatch? = try problem("nickName", references: true) else { Issue.record("a reference to a string"); return }
        #expect(try problem("profileUrl") == nil, "an external reference takes a plain URL")
    }

    @Test func notesAreNotErrors() throws {
        let immutable = catalog.problems(for: try SCIMPath(parsing: "\(SchemaFixtures.contoso):employeeKey"), resourceType: .users)
        #expect(immutable.map(\.kind) == [.immutable])
        #expect(immutable.allSatisfy { !$0.isError })
        #expect(catalog.problems(for: try SCIMPath(parsing: "password"), resourceType: .users).map(\.kind) == [.neverReturned])
        #expect(catalog.problems(for: try SCIMPath(parsing: "members"), resourceType: .groups, holdsReferences: true).isEmpty,
                "an immutable members.value fixes an element, not the list")
    }

    @Test func requiredAttributesAndExtensions() throws {
        let paths = try ["externalId", "nickName"].map { try SCIMPath(parsing: $0) }
        #expect(catalog.missingRequired(paths, resourceType: .users).map(\.path) == ["userName"])
        #expect(catalog.missingRequired(try [SCIMPath(parsing: "userName")], resourceType: .users).isEmpty)
        let strict = SCIMSchemaCatalog(schemas: catalog.schemas, resourceTypes: [
            SCIMResourceTypeDefinition(name: "User", endpoint: "/Users", schema: SCIMResourceType.users.coreSchema,
                                       schemaExtensions: [.init(schema: SchemaFixtures.contoso, required: true)]),
        ])
        #expect(strict.missingRequired(try [SCIMPath(parsing: "userName")], resourceType: .users).map(\.path) == [SchemaFixtures.contoso])
        #expect(strict.missingRequired(try [SCIMPath(parsing: "userName"), SCIMPath(parsing: "\(SchemaFixtures.contoso):hireDate")],
                                       resourceType: .users).isEmpty)
    }

    @Test func withoutResourceTypesListingIsNotChecked() throws {
        let bare = try SCIMSchemaCatalog.decode(schemas: try JSON.decode(Data(SchemaFixtures.schemas.utf8)), resourceTypes: nil)
        #expect(bare.problem(for: try SCIMPath(parsing: "\(SchemaFixtures.fabrikam):x"), resourceType: .users) == nil)
        #expect(bare.problem(for: try SCIMPath(parsing: "title"), resourceType: .users)?.kind == .unknownAttribute)
    }

    @Test("garbage is refused with a reason", arguments: [
        (#"{"detail": "hello"}"#, "neither a ListResponse"),
        (#"[{"name": "no id"}]"#, "has no id"),
        (#"[{"id": "urn:x:y:User", "attributes": [{"type": "string"}]}]"#, "has no name"),
        (#"[{"id": "urn:x:y:User", "attributes": [{"name": "a", "mutability": "sometimes"}]}]"#, "attribute a: unknown mutability"),
        (#"[{"id": "urn:x:y:User", "attributes": [{"name": "a", "multiValued": "yes"}]}]"#, "multiValued is not a boolean"),
        (#"[{"id": "urn:x:y:User", "attributes": {"name": "a"}}]"#, "attributes is not a list"),
    ])
    func garbage(_ body: String, _ reasonPart: String) throws {
        let json = try JSON.decode(Data(body.utf8))
        #expect {
            try SCIMSchemaCatalog.decode(schemas: json, resourceTypes: nil)
        } throws: { error in
            (error as? SCIMSchemaDecodingError)?.reason.contains(reasonPart) == true
        }
        #expect(throws: SCIMSchemaDecodingError.self) {
            try SCIMSchemaCatalog.decode(schemas: [], resourceTypes: [["name": "User"]])
        }
    }
}

@Suite("SCIM client: schemas and resource types")
struct SchemaDiscoveryTests {
    func client(_ url: String, token: String) -> SCIMClient {
        SCIMClient(configuration: .init(baseURL: url, maxRetries: 0), credentials: BearerToken(token), logger: Logger(label: "test"))
    }

    @Test("scim2-server with a custom extension: its schemas, and the problems of flows to them")
    func realServer() async throws {
        let server = try await SCIMServer.start(customExtension: true)
        let scim = client(server.url, token: server.token)
        do {
            let catalog = try #require(try await scim.schemaCatalog())
            let contoso = SCIMServer.contosoExtension
            #expect(catalog.resourceType(.users)?.extensionEntry(contoso)?.required == false)
            #expect(catalog.resourceType(.users)?.extensionEntry(SCIMSchema.enterpriseUser) != nil)
            #expect(catalog.attribute(try SCIMPath(parsing: "\(contoso):hireDate"), in: .users)?.type == .dateTime)
            for path in ["\(contoso):cloudAttribute1", "\(contoso):hireDate", "nickName", "enterprise.costCenter",
                         "emails[type eq \"work\"].value", "addresses[type eq \"work\"].streetAddress", "name.middleName", "roles"] {
                #expect(catalog.problem(for: try SCIMPath(parsing: path), resourceType: .users) == nil, "\(path)")
            }
            #expect(catalog.problem(for: try SCIMPath(parsing: "\(contoso):badgeNumber"), resourceType: .users)?.kind == .readOnly)
            #expect(catalog.problem(for: try SCIMPath(parsing: "\(contoso):nope"), resourceType: .users)?.kind == .unknownAttribute)
            #expect(catalog.problem(for: try SCIMPath(parsing: "groups"), resourceType: .users)?.kind == .readOnly)
            #expect(catalog.problem(for: try SCIMPath(parsing: "members"), resourceType: .groups, holdsReferences: true) == nil)
            #expect(catalog.problem(for: try SCIMPath(parsing: "enterprise.manager"), resourceType: .users, holdsReferences: true) == nil)
        } catch {
            await scim.shutdown()
            try await server.stop()
            throw error
        }
        await scim.shutdown()
        try await server.stop()
    }

    @Test("a server without /Schemas gives no catalog; without /ResourceTypes, one without resource types")
    func notServed() async throws {
        let missing = ScriptedHTTPServer.Response(status: 404, body: #"{"status":"404","detail":"not found"}"#)
        let server = try await ScriptedHTTPServer(script: [
            missing,
            .init(status: 200, body: SchemaFixtures.schemas), .init(status: 501, body: ""),
        ])
        let scim = client(server.url + "/scim/v2", token: "t0k3n")
        let none = try await scim.schemaCatalog()
        let partial = try await scim.schemaCatalog()
        await scim.shutdown()
        try await server.stop()
        #expect(none == nil)
        #expect(partial?.schemas.count == 5)
        #expect(partial?.resourceTypes.isEmpty == true)
        #expect(server.requests.map(\.uri) == ["/scim/v2/Schemas", "/scim/v2/Schemas", "/scim/v2/ResourceTypes"])
    }

    @Test("garbage at /Schemas is a clear error, not a catalog")
    func garbage() async throws {
        let server = try await ScriptedHTTPServer(script: [
            .init(status: 200, headers: [("Content-Type", "text/html")], body: "<html>login</html>"),
            .init(status: 200, body: #"{"Resources": [{"id": "urn:x:y:User", "attributes": [{"name": "a", "type": "text"}]}]}"#),
        ])
        let scim = client(server.url, token: "t0k3n")
        let html = await #expect(throws: SCIMError.self) { try await scim.schemaCatalog() }
        let bad = await #expect(throws: SCIMError.self) { try await scim.schemaCatalog() }
        await scim.shutdown()
        try await server.stop()
        #expect(html?.kind == .invalidResponse)
        #expect(bad?.kind == .invalidResponse)
        #expect(bad?.description.contains("schema urn:x:y:User, attribute a: unknown type \"text\"") == true)
    }

    @Test("the service profile: what is not served or is garbage becomes a gap with the least assumed; a refused credential is thrown")
    func profileGaps() async throws {
        let server = try await ScriptedHTTPServer(script: [
            .init(status: 200, headers: [("Content-Type", "text/html")], body: "<html>login</html>"),   // /ServiceProviderConfig
            .init(status: 200, body: SchemaFixtures.schemas),                                         // /Schemas
            .init(status: 404, body: #"{"status":"404","detail":"not found"}"#),                       // /ResourceTypes
            .init(status: 401, body: #"{"status":"401","detail":"no"}"#),                              // the next profile
        ])
        let scim = client(server.url, token: "t0k3n")
        let profile = try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            cleanup.add { await scim.shutdown() }
            let profile = try await scim.serviceProfile()
            let refused = await #expect(throws: SCIMError.self) { try await scim.serviceProfile() }
            #expect(refused?.isAuthenticationFailure == true)
            return profile
        }
        #expect(profile.features == .minimal && profile.capabilities == .unknown)
        #expect(profile.catalog?.schemas.count == 5 && profile.catalog?.resourceTypes.isEmpty == true)
        #expect(profile.gaps.map(\.endpoint) == ["/ServiceProviderConfig", "/ResourceTypes"])
        #expect(profile.gaps.first?.reason.contains("invalid response") == true, "\(profile.gaps)")
        #expect(profile.gaps.last?.reason == "not served")
    }

    @Test("the service profile: /Schemas answering 500 is thrown (a passing outage), where ServiceProviderConfig's 500 is a gap")
    func profileOutage() async throws {
        let failing = ScriptedHTTPServer.Response(status: 500, body: #"{"status":"500","detail":"down"}"#)
        let server = try await ScriptedHTTPServer(script: [failing, failing])
        let scim = client(server.url, token: "t0k3n")
        let outage = await #expect(throws: SCIMError.self) { try await scim.serviceProfile() }
        await scim.shutdown()
        try await server.stop()
        #expect(outage?.status == 500 && outage?.path == "/Schemas", "\(String(describing: outage))")
        #expect(server.requests.map(\.uri) == ["/ServiceProviderConfig", "/Schemas"])
    }
}
