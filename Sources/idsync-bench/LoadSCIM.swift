import ArgumentParser
import Foundation
import Logging
import SCIM

/// The bare loader: the SCIM payloads idsync would send for the benchmark's directory, posted with the
/// server's own Bulk limits and nothing else — no store, no diffing, no lookups. The raw ingest figure.
struct LoadSCIM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load-scim", abstract: "Post the benchmark directory's users and groups as fast as the server takes them.")
    @Option(help: "The SCIM base URL.") var url: String
    @Option(help: "The bearer token file.") var tokenFile: String
    @Option(help: "The LDIF written by generate.") var ldif: String
    @Option(help: "Bulk requests in flight at once.") var concurrency = 2

    func run() async throws {
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let client = SCIMClient(configuration: .init(baseURL: url, timeout: .seconds(300)), credentials: BearerToken(token),
                                logger: Logger(label: "bench"))
        let features = try await client.features()
        let entries = try parseLDIF(ldif)
        let clock = ContinuousClock()
        let start = clock.now
        var ids: [String: String] = [:]   // DN → target id
        let users = entries.filter { $0.dn.hasPrefix("uid=") }, groups = entries.filter { $0.dn.hasPrefix("cn=") }
        let userOperations = users.map { entry in
            SCIMBulkOperation(method: .POST, path: "/Users", bulkId: entry.dn, data: [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "externalId": .string(UUID().uuidString.lowercased()), "userName": .string(entry.first("mail")),
                "displayName": .string(entry.first("displayName")), "title": .string(entry.first("title")), "active": true,
                "name": ["givenName": .string(entry.first("givenName")), "familyName": .string(entry.first("sn")),
                         "formatted": .string(entry.first("displayName"))],
                "emails": [["value": .string(entry.first("mail"))]], "phoneNumbers": [["value": .string(entry.first("telephoneNumber"))]],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": [
                    "department": .string(entry.first("departmentNumber")), "employeeNumber": .string(entry.first("employeeNumber"))],
            ])
        }
        for (operation, result) in try await post(userOperations, client, features) { ids[operation.bulkId ?? ""] = result.id }
        let groupOperations = groups.map { entry in
            SCIMBulkOperation(method: .POST, path: "/Groups", bulkId: entry.dn, data: [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": .string(UUID().uuidString.lowercased()),
                "displayName": .string(entry.first("cn")),
                "members": .array((entry.attributes["member"] ?? []).compactMap { ids[$0] }.map {
                    ["value": .string($0), "$ref": .string("\(url)/Users/\($0)")]
                }),
            ])
        }
        _ = try await post(groupOperations, client, features)
        let seconds = (clock.now - start).seconds
        await client.shutdown()
        print(String(format: "%.2f", seconds))
    }

    /// Bulk requests within maxOperations and maxPayloadSize, `concurrency` at a time; every operation must succeed.
    func post(_ operations: [SCIMBulkOperation], _ client: SCIMClient, _ features: SCIMFeatures) async throws -> [(SCIMBulkOperation, SCIMBulkResult)] {
        var chunks: [[SCIMBulkOperation]] = [[]]
        var size = 0
        for operation in operations {
            let bytes = (operation.data?.encoded().count ?? 0) + 200
            if !chunks[chunks.count - 1].isEmpty && (chunks[chunks.count - 1].count == features.bulkMaxOperations || size + bytes > features.bulkMaxPayload * 9 / 10) {
                chunks.append([])
                size = 0
            }
            chunks[chunks.count - 1].append(operation)
            size += bytes
        }
        var results: [(SCIMBulkOperation, SCIMBulkResult)] = []
        try await withThrowingTaskGroup(of: [(SCIMBulkOperation, SCIMBulkResult)].self) { group in
            var next = chunks.makeIterator()
            func add() {
                guard let chunk = next.next(), !chunk.isEmpty else { return }
                group.addTask { Array(zip(chunk, try await client.bulk(chunk))) }
            }
            for _ in 0..<concurrency { add() }
            while let done = try await group.next() {
                if let failure = done.first(where: { $0.1.error != nil })?.1.error { throw failure }
                results += done
                add()
            }
        }
        return results
    }
}

struct LDIFEntry {
    let dn: String
    let attributes: [String: [String]]
    func first(_ name: String) -> String { attributes[name]?.first ?? "" }
}

func parseLDIF(_ path: String) throws -> [LDIFEntry] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.components(separatedBy: "\n\n").compactMap { block in
        var dn: String?
        var attributes: [String: [String]] = [:]
        for line in block.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon]), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "dn" { dn = value } else { attributes[name, default: []].append(value) }
        }
        return dn.map { LDIFEntry(dn: $0, attributes: attributes) }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
