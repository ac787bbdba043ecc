import Foundation

/// Reads what the SCIM server holds with curl and JSONSerialization — deliberately not idsync's own
/// SCIM client, so a test does not use the code it checks to check it.
extension SCIMServer {
    /// Every resource of a type, page by page: servers cap a page (scim2-server at 1,000), so one GET is not all.
    public func resources(_ type: String) async throws -> [[String: Any]] {
        var all: [[String: Any]] = []
        while true {
            let page = "\(url)\(type)?startIndex=\(all.count + 1)&count=1000"
            let result = try await runChecked(["curl", "-sf", "-H", "Authorization: Bearer \(token)", page])
            guard let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                  let total = list["totalResults"] as? Int else {
                throw TestSetupError("unexpected list response from \(page): \(result.stdout.prefix(200))")
            }
            let resources = list["Resources"] as? [[String: Any]] ?? []
            all += resources
            if resources.isEmpty || all.count >= total { return all }
        }
    }

    /// How many resources of a type the server holds (its `totalResults`), without fetching them.
    public func count(_ type: String) async throws -> Int {
        let page = "\(url)\(type)?count=1"
        let result = try await runChecked(["curl", "-sf", "-H", "Authorization: Bearer \(token)", page])
        guard let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let total = list["totalResults"] as? Int else {
            throw TestSetupError("unexpected list response from \(page): \(result.stdout.prefix(200))")
        }
        return total
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
