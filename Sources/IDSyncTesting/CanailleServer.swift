import Foundation

/// A real Canaille identity provider on a free 127.0.0.1 port (`scripts/canaille-server`): OpenID Connect,
/// RFC 7591/7592 client registration behind an initial access token, and a SCIM 2.0 API with Canaille's
/// own dialect. One per test (~7 s to start).
public final class CanailleServer: Sendable {
    public let directory: String
    /// The issuer (discovery at /.well-known/openid-configuration).
    public let url: String
    public let scimURL: String
    public let pid: Int32

    public static func start() async throws -> CanailleServer {
        let directory = try TemporaryDirectory(prefix: "canaille").path
        ServerRegistry.removeAtExit(directory)
        let result = try await runChecked([Repository.script("canaille-server"), "start", "--dir", directory,
                                           "--parent-pid", testProcessID])
        let values = parseAssignments(result.stdout)
        guard let url = values["URL"], let scim = values["SCIM_URL"], let pid = values["PID"].flatMap({ Int32($0) }) else {
            throw ProcessFailure(command: ["canaille-server", "start"], result: result)
        }
        ServerRegistry.started(pid: pid)
        return CanailleServer(directory: directory, url: url, scimURL: scim, pid: pid)
    }

    private init(directory: String, url: String, scimURL: String, pid: Int32) {
        self.directory = directory; self.url = url; self.scimURL = scimURL; self.pid = pid
    }

    /// A fresh RFC 7591 initial access token: the tenant admin's credential for registering clients.
    public func registrationToken() async throws -> String {
        try await runChecked([Repository.script("canaille-server"), "registration-token", "--dir", directory])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// An RFC 7592 management token for a client, as an admin of the provider issues it.
    public func managementToken(clientID: String) async throws -> String {
        try await runChecked([Repository.script("canaille-server"), "management-token", "--dir", directory, clientID])
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func stop() async throws {
        try await runChecked([Repository.script("canaille-server"), "stop", "--dir", directory])
        ServerRegistry.stopped(pid: pid)
    }

    public func restart() async throws {
        try await runChecked([Repository.script("canaille-server"), "start", "--dir", directory, "--parent-pid", testProcessID])
    }

    /// Whether the client credentials grant gives this client a token (curl, not idsync's code).
    public func tokenWorks(clientID: String, secret: String) async throws -> Bool {
        let result = try await runProcess(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", "\(clientID):\(secret)",
                                           "-d", "grant_type=client_credentials", "\(url)/oauth/token"])
        return result.stdout == "200"
    }

    /// A SCIM resource list read with a token of `clientID` (curl + JSONSerialization).
    public func scimResources(_ type: String, clientID: String, secret: String) async throws -> [[String: Any]] {
        let token = try await runChecked(["curl", "-sf", "-u", "\(clientID):\(secret)", "-d", "grant_type=client_credentials",
                                          "\(url)/oauth/token"]).stdout
        guard let access = (try JSONSerialization.jsonObject(with: Data(token.utf8)) as? [String: Any])?["access_token"] as? String else {
            throw TestSetupError("no token for \(clientID)")
        }
        let list = try await runChecked(["curl", "-sf", "-H", "Authorization: Bearer \(access)", "\(scimURL)\(type)"]).stdout
        return (try JSONSerialization.jsonObject(with: Data(list.utf8)) as? [String: Any])?["Resources"] as? [[String: Any]] ?? []
    }
}
