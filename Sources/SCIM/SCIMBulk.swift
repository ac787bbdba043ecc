import Foundation
import NIOHTTP1

/// What a service provider says it supports (RFC 7643 §5), as far as idsync uses it.
public struct SCIMFeatures: Sendable, Equatable {
    public var bulkMaxOperations: Int
    public var bulkMaxPayload: Int
    public var filterSupported: Bool
    public var filterMaxResults: Int

    public static let minimal = SCIMFeatures(bulkMaxOperations: 0, bulkMaxPayload: 0, filterSupported: false, filterMaxResults: 0)

    public var bulkSupported: Bool { bulkMaxOperations > 1 && bulkMaxPayload > 0 }

    public init(bulkMaxOperations: Int, bulkMaxPayload: Int, filterSupported: Bool, filterMaxResults: Int) {
        self.bulkMaxOperations = bulkMaxOperations; self.bulkMaxPayload = bulkMaxPayload
        self.filterSupported = filterSupported; self.filterMaxResults = filterMaxResults
    }

    init(_ config: JSON) {
        let bulk = config.value(forAttribute: "bulk"), filter = config.value(forAttribute: "filter")
        self.init(bulkMaxOperations: bulk?.value(forAttribute: "supported")?.boolValue == true
                      ? bulk?.value(forAttribute: "maxOperations")?.intValue ?? 0 : 0,
                  bulkMaxPayload: bulk?.value(forAttribute: "maxPayloadSize")?.intValue ?? 0,
                  filterSupported: filter?.value(forAttribute: "supported")?.boolValue ?? false,
                  filterMaxResults: filter?.value(forAttribute: "maxResults")?.intValue ?? 0)
    }
}

/// One operation of a Bulk request (RFC 7644 §3.7).
public struct SCIMBulkOperation: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var bulkId: String?
    public var data: JSON?

    public init(method: HTTPMethod, path: String, bulkId: String? = nil, data: JSON? = nil) {
        self.method = method; self.path = path; self.bulkId = bulkId; self.data = data
    }

    var json: JSON {
        var object: [String: JSON] = ["method": .string(method.rawValue), "path": .string(path)]
        if let bulkId { object["bulkId"] = .string(bulkId) }
        if let data { object["data"] = data }
        return .object(object)
    }
}

/// The outcome of one bulk operation: its status, the id of the resource (from `location`), or the error.
public struct SCIMBulkResult: Sendable {
    public let status: Int
    public let id: String?
    public let error: SCIMError?
}

extension SCIMResourceType {
    /// The path of the collection, or of one resource in it (for Bulk operations).
    public func path(id: String? = nil) -> String {
        id.map { "/\(rawValue)/\(escapePath($0))" } ?? "/\(rawValue)"
    }
}

extension SCIMClient {
    public func features() async throws -> SCIMFeatures { SCIMFeatures(try await serviceProviderConfig()) }

    /// Sends operations in one Bulk request; results come back in request order. The request as a whole
    /// failing (not one of its operations) throws.
    public func bulk(_ operations: [SCIMBulkOperation]) async throws -> [SCIMBulkResult] {
        let body: JSON = ["schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                          "failOnErrors": .number(Double(operations.count + 1)),
                          "Operations": .array(operations.map(\.json))]
        guard let response = try await post("/Bulk", body), let results = response.value(forAttribute: "Operations")?.arrayValue,
              results.count == operations.count else {
            throw SCIMError(kind: .invalidResponse, method: "POST", path: "/Bulk", scimType: nil,
                            detail: "the bulk response does not answer every operation")
        }
        return zip(operations, results).map { operation, result in
            let status = result.value(forAttribute: "status")?.stringValue.flatMap(Int.init) ?? result.value(forAttribute: "status")?.intValue ?? 0
            let id = result.value(forAttribute: "location")?.stringValue.map { String($0.split(separator: "/").last ?? "") }
            guard !(200..<300).contains(status) else { return SCIMBulkResult(status: status, id: id, error: nil) }
            let detail = result.value(forAttribute: "response")
            return SCIMBulkResult(status: status, id: id, error: SCIMError(
                kind: .status(status), method: operation.method.rawValue, path: operation.path,
                scimType: detail?.value(forAttribute: "scimType")?.stringValue, detail: detail?.value(forAttribute: "detail")?.stringValue))
        }
    }

    /// Calls `body` with every resource of a type, a page at a time (`pageSize` nil: the server's own
    /// paging, for servers that refuse `count`), never holding more than a page.
    public func forEachResource(_ type: SCIMResourceType, pageSize: Int?, _ body: (JSON) throws -> Void) async throws {
        var startIndex = 1, seen = 0
        while true {
            let page = try await list(type, startIndex: startIndex, count: pageSize)
            for resource in page.resources { try body(resource) }
            seen += page.resources.count
            if page.resources.isEmpty || seen >= page.totalResults { return }
            startIndex += page.resources.count
        }
    }
}
