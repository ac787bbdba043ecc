import Foundation

/// Reads what the SCIM server holds with curl and JSONSerialization — deliberately not idsync's own
/// SCIM client, so a test does not use the code it checks to check it.
extension SCIMServer {
    public func resources(_ type: String) async throws -> [[String: Any]] {
        let result = try await runChecked(["curl", "-sf", "-H", "Authorization: Bearer \(token)", "\(url)\(type)"])
        guard let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let resources = list["Resources"] as? [[String: Any]] else {
            throw TestSetupError("unexpected list response from \(url)\(type): \(result.stdout.prefix(200))")
        }
        return resources
    }

    public func users() async throws -> [[String: Any]] { try await resources("Users") }
    public func groups() async throws -> [[String: Any]] { try await resources("Groups") }

    /// Sends a raw request (a test creating a conflicting object "by someone else", say).
    @discardableResult
    public func request(_ method: String, _ path: String, json: String? = nil) async throws -> String {
        var command = ["curl", "-sf", "-X", method, "-H", "Authorization: Bearer \(token)",
                       "-H", "Content-Type: application/scim+json", "\(url)\(path)"]
        if let json { command += ["-d", json] }
        return try await runChecked(command).stdout
    }

    /// The write requests (POST, PUT, PATCH, DELETE) logged after the first `since` requests.
    public func writes(since: Int) throws -> [LoggedRequest] {
        Array(try requests().dropFirst(since)).filter(\.isWrite)
    }
}

/// Typed access into JSONSerialization output.
extension Dictionary where Key == String, Value == Any {
    public func string(_ key: String) -> String? { self[key] as? String }
    public func object(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    public func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}
