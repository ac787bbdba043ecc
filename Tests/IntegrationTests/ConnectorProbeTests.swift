import Foundation
import IDSyncTesting
import Testing

/// `idsync connector probe --write-test` against three real SCIM servers, each checked against what that
/// server really does (docs/testing.md lists what the Django ones do).
@Suite("connector probe: what each SCIM server supports, and what it does with a throwaway user and group", .hangGuard)
struct ConnectorProbeTests {
    /// Probes a bearer-token target at `url`; the LDAP connector beside it is never contacted.
    func probe(url: String, token: String) async throws -> ProcessResult {
        let directory = try TemporaryDirectory(prefix: "probe")
        defer { directory.remove() }
        let yaml = """
            database: \(directory.file("idsync.sqlite"))
            connectors:
              - name: contoso.test
                type: ldap
                url: ldaps://127.0.0.1:1
                tls_ca_file: \(try directory.write("ca.pem", "not read by a probe\n"))
                bind_dn: svc@contoso.test
                password_file: \(try directory.write("ldap.password", "unused\n"))
                base_dn: DC=contoso,DC=test
              - name: cloud
                type: scim
                url: \(url)
                auth: { type: bearer, token_file: \(try directory.write("cloud.token", token + "\n")) }
            """
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = try directory.write("idsync.yaml", yaml)
        let result = try await runProcess([Repository.idsyncBinary, "connector", "probe", "cloud", "--write-test"], environment: environment)
        #expect(!result.output.contains(token), "the token is in the probe's output")
        #expect(!FileManager.default.fileExists(atPath: directory.file("idsync.sqlite")), "the probe created a database")
        return result
    }

    /// Probes the server, stops it (also when the probe throws), and returns what the probe printed.
    func probed(_ label: String, url: String, token: String,
                stop: @escaping @Sendable () async throws -> Void) async throws -> ProcessResult {
        try await withCleanup { cleanup in
            cleanup.add(stop)
            let result = try await probe(url: url, token: token)
            print("probe \(label):\n\(result.output)")
            return result
        }
    }

    func line(_ output: String, _ prefix: String) -> String {
        output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }.map(String.init) ?? "(no \(prefix) line)"
    }

    @Test("scim2-server: everything announced, every write answered as sent, DELETE removes")
    func scim2Server() async throws {
        let server = try await SCIMServer.start()
        let result = try await probed("scim2-server", url: server.url, token: server.token) { try await server.stop() }
        #expect(result.status == 0, "\(result.output)")
        #expect(line(result.stdout, "patch:").hasSuffix("yes") && line(result.stdout, "bulk:").contains("yes, up to"))
        #expect(line(result.stdout, "filter:").contains("yes") && line(result.stdout, "etag:").hasSuffix("yes"))
        #expect(result.stdout.contains("changes go in Bulk requests"))
        #expect(result.stdout.contains("the member was kept"))
        #expect(line(result.stdout, "ok   DELETE /Users/").hasSuffix(": deleted"), "\(result.stdout)")
        #expect(!result.stdout.contains("FAIL"))
    }

    @Test("django-scim2-server: no Bulk, no ETag; members kept on POST; DELETE leaves the user, inactive")
    func djangoSCIM2Server() async throws {
        let server = try await DjangoSCIMServer.start(flavor: .djangoSCIM2Server)
        let result = try await probed("django-scim2-server", url: server.url, token: server.token) { try await server.stop() }
        #expect(result.status == 0, "\(result.output)")
        #expect(line(result.stdout, "bulk:").hasSuffix("no") && line(result.stdout, "etag:").hasSuffix("no"))
        #expect(line(result.stdout, "filter:").contains("yes, up to 200"))
        #expect(result.stdout.contains("one request per object"))
        #expect(result.stdout.contains("the member was kept"))
        #expect(line(result.stdout, "ok   PATCH /Users/").hasSuffix("accepted, but displayName did not change"), "\(result.stdout)")
        #expect(line(result.stdout, "ok   DELETE /Users/").contains("a soft delete"), "\(result.stdout)")
    }

    @Test("mitol-django-scim: Bulk up to 1000, members ignored on POST, remove by value filter refused (exit 2), soft DELETE")
    func mitolDjangoSCIM() async throws {
        let server = try await DjangoSCIMServer.start(flavor: .mitolDjangoSCIM)
        let result = try await probed("mitol-django-scim", url: server.url, token: server.token) { try await server.stop() }
        #expect(result.status == 2, "\(result.output)")
        #expect(line(result.stdout, "bulk:").contains("yes, up to 1000 operations"))
        #expect(line(result.stdout, "filter:").contains("yes, up to 50"))
        #expect(line(result.stdout, "change password:").hasSuffix("yes"))
        #expect(result.stdout.contains("the member was ignored"))
        #expect(line(result.stdout, "FAIL PATCH /Groups/").contains("501"), "\(result.stdout)")
        #expect(line(result.stdout, "FAIL PATCH /Users/").contains("HTTP 500"), "\(result.stdout)")
        // The group and the user are deleted even though a step before failed.
        #expect(line(result.stdout, "ok   DELETE /Groups/").hasSuffix(": deleted"), "\(result.stdout)")
        #expect(line(result.stdout, "ok   DELETE /Users/").contains("a soft delete"), "\(result.stdout)")
    }
}
