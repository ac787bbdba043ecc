import Foundation
import IDSyncTesting
import Testing

/// The harness's two independent SCIM servers from PyPI (django-scim2-server, mitol-django-scim): each
/// starts, serves discovery and Users behind the harness's token and nothing without it, and stops.
@Suite("Django SCIM test servers: started, token-guarded, storing users, stopped", .hangGuard)
struct DjangoSCIMServerTests {
    @Test("starts, answers discovery with the token and 401 without it, stores a user, and stops",
          arguments: DjangoSCIMServer.Flavor.allCases)
    func lifecycle(flavor: DjangoSCIMServer.Flavor) async throws {
        try await withCleanup { cleanup in
            let server = try await DjangoSCIMServer.start(flavor: flavor)
            cleanup.add { try await server.stop() }
            #expect(server.url.hasSuffix("/scim/v2/"))

            let config = try await server.request("GET", "ServiceProviderConfig")
            #expect(config.status == 200)
            print("\(flavor): \(try advertised(config.object()))")

            let resourceTypes = try await server.request("GET", "ResourceTypes")
            #expect(resourceTypes.status == 200)
            let typeIDs = Set(try resourceTypes.object().objects("Resources").compactMap { $0.string("id") })
            #expect(typeIDs == ["User", "Group"])

            let schemas = try await server.request("GET", "Schemas")
            #expect(schemas.status == 200)
            let schemaIDs = Set(try schemas.object().objects("Resources").compactMap { $0.string("id") })
            #expect(schemaIDs.isSuperset(of: ["urn:ietf:params:scim:schemas:core:2.0:User",
                                              "urn:ietf:params:scim:schemas:core:2.0:Group"]))

            let user = """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada.lovelace",
                 "externalId": "ext-ada", "name": {"givenName": "Ada", "familyName": "Lovelace"},
                 "emails": [{"value": "ada.lovelace@example.org", "primary": true}], "active": true}
                """
            for credential in [DjangoSCIMServer.Credential.none, .bearer("not-the-token")] {
                for endpoint in ["ServiceProviderConfig", "ResourceTypes", "Schemas", "Users"] {
                    let refused = try await server.request("GET", endpoint, credential: credential)
                    #expect(refused.status == 401, "GET \(endpoint) with \(credential)")
                }
                let refusedCreate = try await server.request("POST", "Users", json: user, credential: credential)
                #expect(refusedCreate.status == 401, "POST Users with \(credential)")
            }
            let before = try await server.request("GET", "Users")
            #expect(try before.object()["totalResults"] as? Int == 0, "a refused POST stored nothing")

            let created = try await server.request("POST", "Users", json: user)
            #expect(created.status == 201)
            let id = try #require(try created.object().string("id"))
            let read = try await server.request("GET", "Users/\(id)")
            #expect(read.status == 200)
            let stored = try read.object()
            #expect(stored.string("userName") == "ada.lovelace")
            #expect(stored.string("externalId") == "ext-ada")
            #expect(stored.object("name")?.string("familyName") == "Lovelace")

            // The access log has every request, the refused ones too.
            let logged = try server.requests().map(\.description)
            #expect(logged.contains("POST /scim/v2/Users 201"))
            #expect(logged.contains("POST /scim/v2/Users 401"))
            #expect(logged.contains("GET /scim/v2/Users/\(id) 200"))

            try await server.stop()
            #expect(kill(server.pid, 0) == -1 && errno == ESRCH)
        }
    }

    /// One line of what a ServiceProviderConfig says about the features idsync adapts to.
    func advertised(_ config: [String: Any]) -> String {
        func supported(_ feature: String) -> String {
            (config.object(feature)?["supported"] as? Bool).map { $0 ? "yes" : "no" } ?? "not said"
        }
        var bulk = supported("bulk")
        if let maxOperations = config.object("bulk")?["maxOperations"] as? Int { bulk += " (maxOperations \(maxOperations))" }
        var filter = supported("filter")
        if let maxResults = config.object("filter")?["maxResults"] as? Int { filter += " (maxResults \(maxResults))" }
        return "patch \(supported("patch")), bulk \(bulk), filter \(filter), etag \(supported("etag")), sort \(supported("sort"))"
    }
}
