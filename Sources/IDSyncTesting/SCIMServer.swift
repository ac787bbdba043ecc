import Foundation

/// A real scim2-server (PyPI) on a free 127.0.0.1 port, started by `scripts/scim-server`, serving Users
/// and Groups from memory behind a bearer token. Cheap to start (~1 s), so each test gets its own.
public final class SCIMServer: Sendable {
    public let directory: String
    public let url: String
    public let tokenFile: String
    public let token: String
    /// The server's request log, one line per request (`"POST /Users HTTP/1.1" 201 ...`).
    public let accessLog: String
    public let pid: Int32

    /// The custom User extension `customExtension` adds (scripts/fixtures/scim-contoso-extension.json):
    /// `cloudAttribute1` (string), `badgeNumber` (string, readOnly), `hireDate` (dateTime), not required.
    public static let contosoExtension = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"

    /// `customExtension`: also serve `contosoExtension` as an extension of User, beside RFC 7643's schemas.
    public static func start(customExtension: Bool = false) async throws -> SCIMServer {
        let directory = try TemporaryDirectory(prefix: "scim").path
        ServerRegistry.removeAtExit(directory)
        var command = [Repository.script("scim-server"), "start", "--dir", directory, "--parent-pid", testProcessID]
        if customExtension { command += ["--extension", Repository.root + "/scripts/fixtures/scim-contoso-extension.json"] }
        let started = try await StartedSCIMServer.run(command)
        return SCIMServer(directory: directory, started: started)
    }

    private init(directory: String, started: StartedSCIMServer) {
        self.directory = directory; url = started.url; tokenFile = started.tokenFile; token = started.token
        accessLog = started.accessLog; pid = started.pid
    }

    public func stop() async throws {
        try await runChecked([Repository.script("scim-server"), "stop", "--dir", directory])
        ServerRegistry.stopped(pid: pid)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One request as the server logged it.
    public struct LoggedRequest: Sendable, Equatable, CustomStringConvertible {
        public let method: String
        public let path: String
        public let status: Int
        public var description: String { "\(method) \(path) \(status)" }
        public var isWrite: Bool { ["POST", "PUT", "PATCH", "DELETE"].contains(method) }
    }

    /// Every request logged so far, in order. Tests take a count before a run and look at what follows.
    public func requests() throws -> [LoggedRequest] { try Self.requests(inAccessLog: accessLog) }

    /// The requests of a log in the common log format (scim2-server's, gunicorn's default).
    static func requests(inAccessLog accessLog: String) throws -> [LoggedRequest] {
        let text = try String(contentsOfFile: accessLog, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            // 127.0.0.1 - - [date] "PATCH /Users/abc HTTP/1.1" 204 0
            guard let open = line.firstIndex(of: "\""), let close = line[line.index(after: open)...].firstIndex(of: "\"")
            else { return nil }
            let request = line[line.index(after: open)..<close].split(separator: " ")
            let after = line[line.index(after: close)...].split(separator: " ")
            guard request.count >= 2, let status = after.first.flatMap({ Int($0) }) else { return nil }
            return LoggedRequest(method: String(request[0]), path: String(request[1]), status: status)
        }
    }
}

/// What a SCIM server script (`scripts/scim-server`, `scripts/django-scim-server`) printed once its server
/// answered: where it serves, its token, its request log and pid. The server is registered to be stopped
/// when the test process exits.
struct StartedSCIMServer {
    let url: String
    let tokenFile: String
    let token: String
    let accessLog: String
    let pid: Int32

    static func run(_ command: [String]) async throws -> StartedSCIMServer {
        let result = try await runChecked(command)
        let values = parseAssignments(result.stdout)
        guard let url = values["URL"], let tokenFile = values["TOKEN_FILE"], let accessLog = values["ACCESS_LOG"],
              let pid = values["PID"].flatMap({ Int32($0) }) else {
            throw ProcessFailure(command: command, result: result)
        }
        ServerRegistry.started(pid: pid)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return StartedSCIMServer(url: url, tokenFile: tokenFile, token: token, accessLog: accessLog, pid: pid)
    }
}
