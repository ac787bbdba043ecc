import IDSyncTesting
import Logging
import Testing
@testable import SCIM

/// Edge cases a real server does not produce on demand, against a scripted in-process server.
@Suite("SCIM client: retries and error reporting")
struct SCIMClientFaultTests {
    let created = #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"a"}"#

    func client(_ server: ScriptedHTTPServer, maxRetries: Int = 5) -> SCIMClient {
        SCIMClient(configuration: .init(baseURL: server.url + "/scim/v2/", maxRetries: maxRetries),
                   credentials: BearerToken("t0k3n"), logger: Logger(label: "test"))
    }

    @Test("429 and 503 are retried, honouring Retry-After")
    func retriesHonourRetryAfter() async throws {
        let server = try await ScriptedHTTPServer(script: [
            .init(status: 429, headers: [("Retry-After", "1")], body: #"{"status":"429","detail":"slow down"}"#),
            .init(status: 503, headers: [("Retry-After", "0")]),
            .init(status: 201, body: created),
        ])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server)
            cleanup.add { await scim.shutdown() }
            let clock = ContinuousClock()
            let start = clock.now
            let resource = try await scim.create(.users, ["userName": "a"])
            let elapsed = clock.now - start
            #expect(resource["id"] == "u1")
            #expect(server.requests.count == 3)
            #expect(server.requests.allSatisfy { $0.method == "POST" && $0.uri == "/scim/v2/Users" })
            #expect(server.requests.allSatisfy { $0.authorization == "Bearer t0k3n" })
            #expect(elapsed >= .seconds(1), "Retry-After: 1 was not honoured (\(elapsed))")
        }
    }

    @Test("retries stop after the configured number, with the server's error")
    func retriesAreBounded() async throws {
        let busy = ScriptedHTTPServer.Response(status: 503, headers: [("Retry-After", "0")],
                                               body: #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"503","detail":"maintenance"}"#)
        let server = try await ScriptedHTTPServer(script: Array(repeating: busy, count: 5))
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server, maxRetries: 2)
            cleanup.add { await scim.shutdown() }
            let error = await #expect(throws: SCIMError.self) { try await scim.get(.users, id: "x") }
            #expect(error?.status == 503)
            #expect(error?.detail == "maintenance")
            #expect(server.requests.count == 3)
        }
    }

    @Test("a SCIM error body is reported with scimType and detail")
    func scimErrorBody() async throws {
        let server = try await ScriptedHTTPServer(script: [
            .init(status: 409, body: #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"userName taken"}"#),
        ])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server)
            cleanup.add { await scim.shutdown() }
            let error = await #expect(throws: SCIMError.self) { try await scim.create(.users, ["userName": "a"]) }
            #expect(error?.isConflict == true)
            #expect(error?.description == "POST /Users: HTTP 409 (uniqueness): userName taken")
        }
    }

    @Test("an HTML error page is reported as such, on one line")
    func htmlErrorPage() async throws {
        let server = try await ScriptedHTTPServer(script: [
            .init(status: 500, headers: [("Content-Type", "text/html")], body: "<html>\n<h1>Internal Server Error</h1>\n</html>"),
        ])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server, maxRetries: 0)
            cleanup.add { await scim.shutdown() }
            let error = await #expect(throws: SCIMError.self) { try await scim.create(.users, ["userName": "a"]) }
            #expect(error?.status == 500)
            #expect(error?.detail == "non-SCIM body: <html> <h1>Internal Server Error</h1> </html>")
        }
    }

    @Test("a 2xx answer that is not JSON is an invalid response")
    func wrongContentType() async throws {
        let server = try await ScriptedHTTPServer(script: [.init(status: 200, headers: [("Content-Type", "text/plain")], body: "OK")])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server)
            cleanup.add { await scim.shutdown() }
            let error = await #expect(throws: SCIMError.self) { try await scim.get(.users, id: "x") }
            #expect(error?.kind == .invalidResponse)
            #expect(error?.detail?.contains("text/plain") == true)
        }
    }

    @Test("a filter result is checked, not trusted")
    func filterResultsAreChecked() async throws {
        // A server that ignores the filter answers with every user.
        let everyone = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"Resources":[{"id":"1","userName":"bob"},{"id":"2","userName":"Alice"}]}"#
        let server = try await ScriptedHTTPServer(script: [.init(status: 200, body: everyone)])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server)
            cleanup.add { await scim.shutdown() }
            let found = try await scim.find(.users, attribute: "userName", equals: "alice")
            #expect(found.map { $0["id"] } == ["2"])
            #expect(server.requests.first?.uri == "/scim/v2/Users?startIndex=1&filter=userName%20eq%20%22alice%22")
        }
    }

    @Test("the token never appears in an error")
    func tokenNotInErrors() async throws {
        let server = try await ScriptedHTTPServer(script: [.init(status: 401, body: #"{"status":"401","detail":"bad token"}"#)])
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let scim = client(server)
            cleanup.add { await scim.shutdown() }
            let error = await #expect(throws: SCIMError.self) { try await scim.probe() }
            #expect(error?.isAuthenticationFailure == true)
            #expect(!"\(String(describing: error))".contains("t0k3n"))
        }
    }
}
