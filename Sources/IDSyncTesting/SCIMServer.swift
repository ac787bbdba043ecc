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

    public static func start() async throws -> SCIMServer {
        let directory = try TemporaryDirectory(prefix: "scim").path
        ServerRegistry.removeAtExit(directory)
        let result = try await runChecked([Repository.script("scim-server"), "start", "--dir", directory,
                                           "--parent-pid", testProcessID])
        let values = parseAssignments(result.stdout)
        guard let url = values["URL"], let tokenFile = values["TOKEN_FILE"], let log = values["ACCESS_LOG"],
              let pid = values["PID"].flatMap({ Int32($0) }) else {
            throw ProcessFailure(command: ["scim-server", "start"], result: result)
        }
        let server = SCIMServer(directory: directory, url: url, tokenFile: tokenFile,
                                token: try String(contentsOfFile: tokenFile, encoding: .utf8)
                                    .trimmingCharacters(in: .whitespacesAndNewlines),
                                accessLog: log, pid: pid)
        ServerRegistry.started(pid: pid)
        return server
    }

    private init(directory: String, url: String, tokenFile: String, token: String, accessLog: String, pid: Int32) {
        self.directory = directory; self.url = url; self.tokenFile = tokenFile; self.token = token
        self.accessLog = accessLog; self.pid = pid
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
    public func requests() throws -> [LoggedRequest] {
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
