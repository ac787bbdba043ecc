import AsyncHTTPClient
import Foundation
import IDSyncTesting
import Logging
import Testing
@testable import SCIM

/// Where OAuth 2.0 and SCIM credentials may go (issue 12, transport trust). Each test puts a listener where
/// a credential must not arrive and checks that it received none.
@Suite("Transport trust: no credential to a plain, foreign or redirected endpoint")
struct TransportTrustTests {
    static let json = [("Content-Type", "application/json")]

    func token(_ value: String) -> ScriptedHTTPServer.Response {
        .init(status: 200, headers: Self.json, body: #"{"access_token":"\#(value)","token_type":"Bearer","expires_in":3600}"#)
    }

    func metadata(token: String, registration: String? = nil) -> ScriptedHTTPServer.Response {
        var fields = [#""issuer":"x""#, #""token_endpoint":"\#(token)""#]
        if let registration { fields.append(#""registration_endpoint":"\#(registration)""#) }
        return .init(status: 200, headers: Self.json, body: "{\(fields.joined(separator: ","))}")
    }

    @Test("a token request follows no redirect: the client secret never reaches where it points")
    func tokenRequestFollowsNoRedirect() async throws {
        let elsewhere = try await ScriptedHTTPServer(script: [token("stolen"), token("stolen")])
        let idp = try await ScriptedHTTPServer(script: [
            .init(status: 307, headers: [("Location", elsewhere.url + "/token")]),
            .init(status: 302, headers: [("Location", elsewhere.url + "/token")]),
        ])
        for method in [ClientAuthMethod.clientSecretBasic, .clientSecretPost] {
            let credentials = OAuth2ClientCredentials(tokenURL: idp.url + "/token", client: .init(id: "sync", secret: "s3cr3t"),
                                                      method: method)
            let error = await #expect(throws: OAuthError.self) { try await credentials.fetchToken() }
            #expect(error?.description.contains("redirected to \(elsewhere.url)/token") == true, "\(String(describing: error))")
        }
        #expect(idp.requests.count == 2, "both token requests went to the configured endpoint")
        #expect(elsewhere.requests.isEmpty, "a redirect was followed: \(elsewhere.requests)")
        try await idp.stop(); try await elsewhere.stop()
    }

    @Test("discovery: endpoints on another origin, or plain http to another machine, are refused before any use")
    func discoveredEndpointsShareTheIssuersOrigin() async throws {
        let elsewhere = try await ScriptedHTTPServer(script: [token("stolen")])
        // The same kind of listener, reached by this machine's name: plain http there is not loopback by name.
        let plain = try await ScriptedHTTPServer(script: [.init(status: 200, body: "{}"), token("stolen")], allInterfaces: true)
        let idp = try await ScriptedHTTPServer(script: [
            metadata(token: elsewhere.url + "/token"),
            metadata(token: plain.urlByHostName + "/token"),
        ])
        idp.append([metadata(token: idp.url + "/token", registration: elsewhere.url + "/register"),
                    metadata(token: idp.url + "/token", registration: idp.url + "/register")])

        let foreign = await #expect(throws: OAuthError.self) { _ = try await ProviderMetadata.discover(issuer: idp.url) }
        #expect(foreign?.description.contains("not on the origin of \(idp.url)") == true, "\(String(describing: foreign))")
        #expect(foreign?.isRefusedEndpoint == true && foreign?.isUnreachable == false, "a refusal is not an unreachable provider")
        let plainHTTP = await #expect(throws: OAuthError.self) { _ = try await ProviderMetadata.discover(issuer: idp.url) }
        #expect(plainHTTP?.description.contains("plain http to another machine") == true, "\(String(describing: plainHTTP))")
        let registration = await #expect(throws: OAuthError.self) { _ = try await ProviderMetadata.discover(issuer: idp.url) }
        #expect(registration?.description.contains("registration_endpoint") == true, "\(String(describing: registration))")
        let good = try await ProviderMetadata.discover(issuer: idp.url)
        #expect(good.tokenEndpoint == idp.url + "/token" && good.registrationEndpoint == idp.url + "/register")

        // Configured directly, a plain-http token endpoint elsewhere is refused too (the configuration refuses
        // it first; this is the client's own guard).
        let direct = OAuth2ClientCredentials(tokenURL: plain.urlByHostName + "/token", client: .init(id: "sync", secret: "s3cr3t"))
        await #expect(throws: OAuthError.self) { _ = try await direct.fetchToken() }

        // The listener does answer by that name, so anything sent there would have been seen: one probe
        // without credentials, and nothing else.
        let probe = try await HTTPClient.shared.execute(HTTPClientRequest(url: plain.urlByHostName + "/probe"), timeout: .seconds(10))
        #expect(probe.status == .ok)
        #expect(plain.requests.map(\.uri) == ["/probe"], "\(plain.requests)")
        #expect(plain.requests.allSatisfy { $0.authorization == nil })
        #expect(elsewhere.requests.isEmpty, "\(elsewhere.requests)")
        for server in [elsewhere, plain, idp] { try await server.stop() }
    }

    @Test("registration: a registration_client_uri on another origin is refused; its token is never sent there")
    func registrationClientURIOnTheEndpointsOrigin() async throws {
        let elsewhere = try await ScriptedHTTPServer(script: [.init(status: 204)])
        let registrar = try await ScriptedHTTPServer(script: [
            .init(status: 201, headers: Self.json, body: #"""
                {"client_id":"c1","client_secret":"client-secret","registration_access_token":"rat-1",
                 "registration_client_uri":"\#(elsewhere.url)/register/c1"}
                """#),
        ])
        registrar.append([.init(status: 204)])
        let registration = ClientRegistration(endpoint: registrar.url + "/register")
        let refused = await #expect(throws: OAuthError.self) {
            _ = try await registration.register(name: "idsync", scope: nil, authMethod: .clientSecretBasic, initialAccessToken: "admin-iat")
        }
        #expect(refused?.description.contains("registration_client_uri") == true && refused?.description.contains("delete it") == true,
                "\(String(describing: refused))")
        #expect(refused?.description.contains("client-secret") == false && refused?.description.contains("rat-1") == false)

        // A stored URI is checked again before the token goes with a DELETE.
        await #expect(throws: OAuthError.self) {
            try await ClientRegistration.delete(clientURI: elsewhere.url + "/register/c1", token: "rat-1",
                                                registrationEndpoint: registrar.url + "/register")
        }
        #expect(elsewhere.requests.isEmpty, "\(elsewhere.requests)")
        try await ClientRegistration.delete(clientURI: registrar.url + "/register/c1", token: "rat-1",
                                            registrationEndpoint: registrar.url + "/register")
        #expect(registrar.requests.map(\.method) == ["POST", "DELETE"])
        #expect(registrar.requests.last?.authorization == "Bearer rat-1")
        try await registrar.stop(); try await elsewhere.stop()
    }

    @Test("the SCIM client follows no redirect: the bearer token stays with the configured service")
    func scimFollowsNoRedirect() async throws {
        let elsewhere = try await ScriptedHTTPServer(script: [.init(status: 200, body: #"{"id":"u1"}"#)])
        let scim = try await ScriptedHTTPServer(script: [.init(status: 302, headers: [("Location", elsewhere.url + "/Users/u1")])])
        let client = SCIMClient(configuration: .init(baseURL: scim.url), credentials: BearerToken("scim-token"), logger: Logger(label: "t"))
        let error = await #expect(throws: SCIMError.self) { _ = try await client.get(.users, id: "u1") }
        #expect(error?.status == 302 && error?.detail?.contains("redirected to \(elsewhere.url)/Users/u1") == true,
                "\(String(describing: error))")
        #expect(scim.requests.count == 1 && elsewhere.requests.isEmpty, "\(elsewhere.requests)")
        await client.shutdown()
        try await scim.stop(); try await elsewhere.stop()
    }
}
