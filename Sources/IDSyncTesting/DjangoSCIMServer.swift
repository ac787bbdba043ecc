import Foundation
import Synchronization

/// An independent SCIM 2.0 server from PyPI on a free 127.0.0.1 port, hosted in a minimal Django project
/// of the harness's own and started by `scripts/django-scim-server`: a SQLite database of its own, behind
/// a bearer token. The packages are served as shipped, so their dialects (docs/targets.md) are what idsync
/// meets. A few seconds to start, so each test gets its own.
public final class DjangoSCIMServer: Sendable {
    public enum Flavor: String, Sendable, CaseIterable, CustomStringConvertible {
        /// django-scim2-server 1.1.0: Users, Groups, PATCH; UUID ids; soft DELETE; no enterprise extension.
        case djangoSCIM2Server = "django-scim2-server"
        /// mitol-django-scim 2026.10.9 (on django-scim2): Users, Groups, PATCH, Bulk; ids numbered from 1 per type.
        case mitolDjangoSCIM = "mitol-django-scim"

        public var description: String { rawValue }
    }

    public let flavor: Flavor
    public let directory: String
    /// The SCIM base, ending in "/": `url + "Users"` is the Users endpoint.
    public let url: String
    public let tokenFile: String
    public let token: String
    /// gunicorn's request log, one line per request (`"POST /scim/v2/Users HTTP/1.1" 201 ...`).
    public let accessLog: String
    public let pid: Int32
    private let stopped = Mutex(false)

    public static func start(flavor: Flavor) async throws -> DjangoSCIMServer {
        let directory = try TemporaryDirectory(prefix: flavor.rawValue).path
        ServerRegistry.removeAtExit(directory)
        let command = [Repository.script("django-scim-server"), "start", "--flavor", flavor.rawValue,
                       "--dir", directory, "--parent-pid", testProcessID]
        let started = try await StartedSCIMServer.run(command)
        return DjangoSCIMServer(flavor: flavor, directory: directory, started: started)
    }

    private init(flavor: Flavor, directory: String, started: StartedSCIMServer) {
        self.flavor = flavor; self.directory = directory; url = started.url; tokenFile = started.tokenFile
        token = started.token; accessLog = started.accessLog; pid = started.pid
    }

    /// Stops the server and removes its directory; a second call does nothing.
    public func stop() async throws {
        guard stopped.withLock({ done in defer { done = true }; return !done }) else { return }
        try await runChecked([Repository.script("django-scim-server"), "stop", "--dir", directory])
        ServerRegistry.stopped(pid: pid)
        try FileManager.default.removeItem(atPath: directory)
    }

    /// Every request logged so far, in order.
    public func requests() throws -> [SCIMServer.LoggedRequest] {
        try SCIMServer.requests(inAccessLog: accessLog)
    }

    /// What a request carries to prove who sends it.
    public enum Credential: Sendable {
        /// `Bearer` with the token the server accepts.
        case serverToken
        case bearer(String)
        case none
    }

    /// One answer, as curl saw it.
    public struct Response: Sendable {
        public let status: Int
        public let body: String

        /// The body as a JSON object (JSONSerialization); throws when it is not one.
        public func object() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
                throw TestSetupError("expected a JSON object, got: \(body.prefix(200))")
            }
            return object
        }
    }

    /// Sends a raw request to `url + path` with curl (not idsync's own SCIM client, so a test does not check
    /// the client with itself), whatever the status. The Authorization header goes to curl on its standard
    /// input, so the token never appears in a process list.
    public func request(_ method: String, _ path: String, json: String? = nil,
                        credential: Credential = .serverToken) async throws -> Response {
        var command = ["curl", "-sS", "-X", method, "-w", "\n%{http_code}", "-H", "Content-Type: application/scim+json"]
        var headers: String?
        switch credential {
        case .serverToken: headers = "Authorization: Bearer \(token)\n"
        case .bearer(let other): headers = "Authorization: Bearer \(other)\n"
        case .none: break
        }
        if headers != nil { command += ["-H", "@-"] }
        if let json { command += ["--data-binary", json] }
        command.append(url + path)
        let result = try await runChecked(command, stdin: headers)
        guard let newline = result.stdout.lastIndex(of: "\n"),
              let status = Int(result.stdout[result.stdout.index(after: newline)...]) else {
            throw ProcessFailure(command: ["curl", method, path], result: result)
        }
        return Response(status: status, body: String(result.stdout[..<newline]))
    }
}
