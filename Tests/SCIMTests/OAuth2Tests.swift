import Foundation
import IDSyncTesting
import Logging
import Testing
@testable import SCIM

/// OAuth 2.0 client credentials against a scripted token endpoint and SCIM server.
@Suite("OAuth 2.0 client credentials")
struct OAuth2Tests {
    func token(_ value: String, expiresIn: Int = 3600) -> ScriptedHTTPServer.Response {
        .init(status: 200, headers: [("Content-Type", "application/json")],
              body: #"{"access_token":"\#(value)","token_type":"Bearer","expires_in":\#(expiresIn)}"#)
    }

    @Test("tokens are cached, and fetched again once after a 401")
    func cacheAndRefreshOn401() async throws {
        let idp = try await ScriptedHTTPServer(script: [token("first"), token("second")])
        let scim = try await ScriptedHTTPServer(script: [
            .init(status: 200, body: #"{"id":"u1"}"#),
            .init(status: 200, body: #"{"id":"u1"}"#),
            .init(status: 401, body: #"{"status":"401","detail":"token revoked"}"#),
            .init(status: 200, body: #"{"id":"u1"}"#),
        ])
        try await withCleanup { cleanup in
            cleanup.add { try await scim.stop() }
            cleanup.add { try await idp.stop() }
            let credentials = OAuth2ClientCredentials(tokenURL: idp.url + "/token", client: .init(id: "sync", secret: "s3cr3t:&"))
            let client = SCIMClient(configuration: .init(baseURL: scim.url), credentials: credentials, logger: Logger(label: "t"))
            cleanup.add { await client.shutdown() }
            for _ in 0..<3 { _ = try await client.get(.users, id: "u1") }
            #expect(idp.requests.count == 2, "one token for two requests, one more after the 401")
            #expect(scim.requests.map(\.authorization) == ["Bearer first", "Bearer first", "Bearer first", "Bearer second"])
            // client_secret_basic: id and secret form-encoded, then base64 (RFC 6749 §2.3.1).
            #expect(idp.requests[0].authorization == "Basic " + Data("sync:s3cr3t%3A%26".utf8).base64EncodedString())
            #expect(idp.requests[0].body == "grant_type=client_credentials")
        }
    }

    @Test("a token close to expiry is renewed before use")
    func renewBeforeExpiry() async throws {
        let idp = try await ScriptedHTTPServer(script: [token("short", expiresIn: 1), token("next")])
        try await withCleanup { cleanup in
            cleanup.add { try await idp.stop() }
            let credentials = OAuth2ClientCredentials(tokenURL: idp.url + "/token", client: .init(id: "sync", secret: "x"))
            #expect(try await credentials.authorization() == "Bearer short")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await credentials.authorization() == "Bearer next")
        }
    }

    @Test("client_secret_post sends the credentials in the form, and a refusal is reported with OAuth's error")
    func clientSecretPostAndErrors() async throws {
        let idp = try await ScriptedHTTPServer(script: [
            .init(status: 401, headers: [("Content-Type", "application/json")],
                  body: #"{"error":"invalid_client","error_description":"client authentication failed"}"#),
        ])
        try await withCleanup { cleanup in
            cleanup.add { try await idp.stop() }
            let credentials = OAuth2ClientCredentials(tokenURL: idp.url + "/token", client: .init(id: "sync", secret: "pw"),
                                                      method: .clientSecretPost, scope: "scim")
            let error = await #expect(throws: OAuthError.self) { try await credentials.authorization() }
            #expect(error?.error == "invalid_client")
            #expect(error?.description.contains("pw") == false)
            #expect(idp.requests.first?.authorization == nil)
            #expect(idp.requests.first?.body == "grant_type=client_credentials&scope=scim&client_id=sync&client_secret=pw")
        }
    }
}
