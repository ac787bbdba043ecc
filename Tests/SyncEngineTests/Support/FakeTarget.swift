import Foundation
@testable import SCIM
@testable import SyncEngine
import SyncStore
import Synchronization

/// An in-memory SCIM target for export tests: users and groups as JSON resources under ids it assigns,
/// answering as a SCIM service would (404 for what it does not hold, 409 for a userName taken), with
/// switches that make it misbehave the ways real services do, and a log of every request it was sent.
final class FakeTarget: ExportTarget {
    let name: String
    let concurrency: Int
    static let baseURL = "https://scim.fake.test/scim/v2"

    /// One request as the fake received it; operations inside a Bulk request are logged one by one after
    /// the Bulk request itself, with `inBulk`.
    struct Request: Sendable, CustomStringConvertible {
        let method: String
        let path: String
        let body: JSON?
        var inBulk = false

        var description: String { "\(inBulk ? "[bulk] " : "")\(method) \(path)" }
        /// The operations of a PATCH.
        var operations: [JSON] { body?.value(forAttribute: "Operations")?.arrayValue ?? [] }
        var operationPaths: [String] { operations.compactMap { $0.value(forAttribute: "path")?.stringValue } }
    }

    private struct State {
        var resources: [ObjectType: [String: JSON]] = [.user: [:], .group: [:]]
        var nextID = 1
        /// Per type, when users and groups are numbered apart ("1", "2", … for each).
        var nextIDByType: [ObjectType: Int]?
        /// Creates of this type are answered with this id, whatever was stored (a broken server).
        var answeredIDs: [ObjectType: String] = [:]
        var ignoresMembersOnCreate = false
        var refusedMemberAdds = 0
        /// Filter GETs answered with this status (and scimType), the next `count` of them (nil: all).
        var failingFilters: (status: Int, scimType: String?, count: Int?)?
        var log: [Request] = []
        var membersByFilter = true
        var bulkMaxOperations = 0
        var filterSupported = true
        var failingBulkRequests = 0
        var failedBulkAppliesOperations = false
        var refusesMemberRemovalByFilter = false
        var catalog: SCIMSchemaCatalog?
        var catalogReads = 0
    }
    private let state = Mutex(State())

    init(name: String = "cloud", concurrency: Int = 4) {
        self.name = name
        self.concurrency = concurrency
    }

    // MARK: Switches

    /// Offers Bulk with this many operations per request (0: no Bulk, every request alone).
    func offerBulk(maxOperations: Int) { state.withLock { $0.bulkMaxOperations = maxOperations } }

    /// Whether the fake says it supports filtering (without it, the export reads the whole target once).
    func supportFiltering(_ supported: Bool) { state.withLock { $0.filterSupported = supported } }

    /// The next `count` Bulk requests fail as a whole with HTTP 500; `afterApplying`: the server did the
    /// work and only the answer was lost.
    func failBulkRequests(_ count: Int, afterApplying: Bool = false) {
        state.withLock { $0.failingBulkRequests = count; $0.failedBulkAppliesOperations = afterApplying }
    }

    /// Refuses with 400 any PATCH removing members by a value filter (`members[value eq "…"]`), as some
    /// servers do; the whole PATCH fails (RFC 7644 §3.5.2).
    func refuseMemberRemovalByFilter() { state.withLock { $0.refusesMemberRemovalByFilter = true } }

    /// Numbers users and groups apart from 1, as some servers do (RFC 7643 wants ids unique across the
    /// server): the first user and the first group are both "1".
    func numberUsersAndGroupsApart() { state.withLock { $0.nextIDByType = [.user: 1, .group: 1] } }

    /// Creates groups without the members the POST (or Bulk operation) carried, as mitol-django-scim does;
    /// members are taken by PATCH only.
    func ignoreMembersOnCreate() { state.withLock { $0.ignoresMembersOnCreate = true } }

    /// Refuses with 500 the next `count` PATCHes adding members.
    func refuseMemberAdds(_ count: Int) { state.withLock { $0.refusedMemberAdds = count } }

    /// Answers every create of `type` with `id`, whichever id the object got.
    func answerCreates(_ type: ObjectType, withID id: String) { state.withLock { $0.answeredIDs[type] = id } }

    /// Answers filter GETs with `status` (and `scimType`): the next `count` of them, or all.
    func failFilters(status: Int, scimType: String? = nil, count: Int? = nil) {
        state.withLock { $0.failingFilters = (status, scimType, count) }
    }

    /// An object the target holds before idsync ever exported (first contact); returns its id.
    @discardableResult
    func seed(_ type: ObjectType, _ resource: JSON) -> String {
        state.withLock { state in store(type, resource, in: &state) }
    }

    /// Someone deleted the object in the target behind idsync's back.
    func deleteBehindIdsyncsBack(_ type: ObjectType, id: String) { state.withLock { _ = $0.resources[type]?.removeValue(forKey: id) } }

    /// Serves these schemas and resource types (`/Schemas`, `/ResourceTypes`); without, it serves none.
    func serveSchemas(_ catalog: SCIMSchemaCatalog) { state.withLock { $0.catalog = catalog } }

    // MARK: Inspection

    /// How many times the schema catalog was read.
    var catalogReads: Int { state.withLock { $0.catalogReads } }

    var requests: [Request] { state.withLock { $0.log } }
    func clearLog() { state.withLock { $0.log.removeAll() } }
    func resources(_ type: ObjectType) -> [JSON] { state.withLock { Array($0.resources[type, default: [:]].values) } }
    func resource(_ type: ObjectType, id: String) -> JSON? { state.withLock { $0.resources[type]?[id] } }
    func resource(_ type: ObjectType, externalId: String) -> JSON? {
        resources(type).first { $0.value(forAttribute: "externalId")?.stringValue == externalId }
    }
    /// The member ids of a group.
    func members(ofGroup id: String) -> Set<String> {
        Set(resource(.group, id: id)?.value(forAttribute: "members")?.arrayValue?.compactMap { $0.value(forAttribute: "value")?.stringValue } ?? [])
    }

    // MARK: ExportTarget

    func features() async throws -> SCIMFeatures {
        state.withLock { state in
            SCIMFeatures(bulkMaxOperations: state.bulkMaxOperations, bulkMaxPayload: state.bulkMaxOperations > 0 ? 1_048_576 : 0,
                         filterSupported: state.filterSupported, filterMaxResults: 200)
        }
    }

    func schemaCatalog() async throws -> SCIMSchemaCatalog? {
        state.withLock { state in
            // Counted, not logged: the tests' request logs are about the objects.
            state.catalogReads += 1
            return state.catalog
        }
    }

    func references(_ types: [String: ObjectType]) -> SCIMMapping.References {
        SCIMMapping.References(baseURL: Self.baseURL, types: types)
    }

    var removesMembersByFilter: Bool { state.withLock { $0.membersByFilter } }
    func stopRemovingMembersByFilter() { state.withLock { $0.membersByFilter = false } }

    func find(_ type: ObjectType, attribute: String, equals value: String, caseSensitive: Bool) async throws -> [JSON] {
        try state.withLock { state in
            let request = "\(path(type))?filter=\(attribute) eq \(scimFilterString(value))"
            state.log.append(Request(method: "GET", path: request, body: nil))
            if let failing = state.failingFilters, failing.count ?? 1 > 0 {
                state.failingFilters?.count = failing.count.map { $0 - 1 }
                throw refusal(failing.status, "GET", request, scimType: failing.scimType, "the fake's filter fails")
            }
            return state.resources[type, default: [:]].values.filter { resource in
                guard let actual = resource.value(forAttribute: attribute)?.stringValue else { return false }
                return caseSensitive ? actual == value : actual.caseInsensitiveCompare(value) == .orderedSame
            }.sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
        }
    }

    func forEachResource(_ type: ObjectType, pageSize: Int?, _ body: (JSON) throws -> Void) async throws {
        let all = state.withLock { state in
            state.log.append(Request(method: "GET", path: path(type), body: nil))
            return state.resources[type, default: [:]].values.sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
        }
        for resource in all { try body(resource) }
    }

    func get(_ type: ObjectType, id: String) async throws -> JSON {
        try state.withLock { state in
            state.log.append(Request(method: "GET", path: path(type, id), body: nil))
            guard let resource = state.resources[type]?[id] else { throw refusal(404, "GET", path(type, id)) }
            return resource
        }
    }

    func create(_ type: ObjectType, _ resource: JSON) async throws -> JSON {
        try state.withLock { state in
            state.log.append(Request(method: "POST", path: path(type), body: resource))
            return try create(type, resource, in: &state)
        }
    }

    func patch(_ type: ObjectType, id: String, _ operations: [SCIMPatchOperation]) async throws {
        try state.withLock { state in
            let message = SCIMPatchOperation.message(operations)
            state.log.append(Request(method: "PATCH", path: path(type, id), body: message))
            try patch(type, id, message, in: &state)
        }
    }

    func delete(_ type: ObjectType, id: String) async throws {
        try state.withLock { state in
            state.log.append(Request(method: "DELETE", path: path(type, id), body: nil))
            guard state.resources[type]?.removeValue(forKey: id) != nil else { throw refusal(404, "DELETE", path(type, id)) }
        }
    }

    func bulk(_ operations: [SCIMBulkOperation]) async throws -> [SCIMBulkResult] {
        try state.withLock { state in
            state.log.append(Request(method: "POST", path: "/Bulk", body: nil))
            state.log += operations.map { Request(method: $0.method.rawValue, path: $0.path, body: $0.data, inBulk: true) }
            let failing = state.failingBulkRequests > 0
            if failing { state.failingBulkRequests -= 1 }
            if failing && !state.failedBulkAppliesOperations { throw refusal(500, "POST", "/Bulk") }
            let results = operations.map { apply($0, in: &state) }
            if failing { throw refusal(500, "POST", "/Bulk") }
            return results
        }
    }

    // MARK: The service

    private func path(_ type: ObjectType, _ id: String? = nil) -> String {
        SCIMMapping.resourceType(type).path(id: id)
    }

    private func refusal(_ status: Int, _ method: String, _ path: String, scimType: String? = nil, _ detail: String? = nil) -> SCIMError {
        SCIMError(kind: .status(status), method: method, path: path, scimType: scimType, detail: detail)
    }

    private func store(_ type: ObjectType, _ resource: JSON, in state: inout State) -> String {
        let id: String
        if let next = state.nextIDByType?[type] {
            id = "\(next)"
            state.nextIDByType?[type] = next + 1
        } else {
            id = "\(type == .user ? "u" : "g")\(state.nextID)"
            state.nextID += 1
        }
        var object = resource.objectValue ?? [:]
        object["id"] = .string(id)
        state.resources[type, default: [:]][id] = .object(object)
        return id
    }

    private func create(_ type: ObjectType, _ resource: JSON, in state: inout State) throws -> JSON {
        if type == .user, let userName = resource.value(forAttribute: "userName")?.stringValue,
           state.resources[.user, default: [:]].values.contains(where: {
               $0.value(forAttribute: "userName")?.stringValue?.caseInsensitiveCompare(userName) == .orderedSame }) {
            throw refusal(409, "POST", path(type), scimType: "uniqueness", "userName \(userName) is taken")
        }
        var resource = resource
        if type == .group, state.ignoresMembersOnCreate, var object = resource.objectValue {
            object["members"] = .array([])
            resource = .object(object)
        }
        let id = store(type, resource, in: &state)
        guard let answered = state.answeredIDs[type], var object = state.resources[type]![id]!.objectValue else {
            return state.resources[type]![id]!
        }
        object["id"] = .string(answered)
        return .object(object)
    }

    private func patch(_ type: ObjectType, _ id: String, _ message: JSON, in state: inout State) throws {
        guard var object = state.resources[type]?[id]?.objectValue else { throw refusal(404, "PATCH", path(type, id)) }
        let operations = message.value(forAttribute: "Operations")?.arrayValue ?? []
        for operation in operations {
            let op = operation.value(forAttribute: "op")?.stringValue ?? ""
            let target = operation.value(forAttribute: "path")?.stringValue ?? ""
            let value = operation.value(forAttribute: "value")
            if target.hasPrefix("members[") {
                if state.refusesMemberRemovalByFilter {
                    throw refusal(400, "PATCH", path(type, id), scimType: "invalidPath", "removal by filter is not supported")
                }
                guard op == "remove", let member = memberInFilter(target) else {
                    throw refusal(400, "PATCH", path(type, id), scimType: "invalidPath", "the fake cannot apply \(op) \(target)")
                }
                object["members"] = .array((object["members"]?.arrayValue ?? []).filter { $0.value(forAttribute: "value")?.stringValue != member })
            } else if target == "members", op == "add" {
                if state.refusedMemberAdds > 0 {
                    state.refusedMemberAdds -= 1
                    throw refusal(500, "PATCH", path(type, id), "the fake refuses adding members")
                }
                let known = Set((object["members"]?.arrayValue ?? []).compactMap { $0.value(forAttribute: "value")?.stringValue })
                let added = (value?.arrayValue ?? []).filter { !known.contains($0.value(forAttribute: "value")?.stringValue ?? "") }
                object["members"] = .array((object["members"]?.arrayValue ?? []) + added)
            } else if !target.isEmpty, !target.contains("["), op == "replace" || op == "remove" || op == "add" {
                set(&object, path: target, op == "remove" ? nil : value)
            } else {
                throw refusal(400, "PATCH", path(type, id), scimType: "invalidPath", "the fake cannot apply \(op) \(target)")
            }
        }
        state.resources[type]![id] = .object(object)
    }

    /// The id in `members[value eq "id"]`.
    private func memberInFilter(_ path: String) -> String? {
        let prefix = "members[value eq \"", suffix = "\"]"
        guard path.hasPrefix(prefix), path.hasSuffix(suffix) else { return nil }
        return String(path.dropFirst(prefix.count).dropLast(suffix.count)).replacingOccurrences(of: "\\\"", with: "\"")
    }

    /// Sets (or, with nil, removes) an attribute by a simple path: `title`, `name.givenName`, or an
    /// extension's `urn:…:User:manager`.
    private func set(_ object: inout [String: JSON], path: String, _ value: JSON?) {
        if path.hasPrefix("urn:"), let colon = path.lastIndex(of: ":") {
            let urn = String(path[..<colon]), attribute = String(path[path.index(after: colon)...])
            var ext = object[urn]?.objectValue ?? [:]
            ext[attribute] = value
            object[urn] = .object(ext)
        } else if let dot = path.firstIndex(of: ".") {
            let attribute = String(path[..<dot]), sub = String(path[path.index(after: dot)...])
            var complex = object[attribute]?.objectValue ?? [:]
            complex[sub] = value
            object[attribute] = .object(complex)
        } else {
            object[path] = value
        }
    }

    /// One operation of a Bulk request, answered as the service would answer it alone.
    private func apply(_ operation: SCIMBulkOperation, in state: inout State) -> SCIMBulkResult {
        let parts = operation.path.split(separator: "/").map(String.init)
        let type: ObjectType = parts.first == "Groups" ? .group : .user
        do {
            switch (operation.method, parts.count) {
            case (.POST, 1):
                let created = try create(type, operation.data ?? [:], in: &state)
                let id = created["id"]?.stringValue ?? ""
                return SCIMBulkResult(status: 201, id: id, error: nil)
            case (.PATCH, 2):
                try patch(type, parts[1], operation.data ?? [:], in: &state)
                return SCIMBulkResult(status: 200, id: parts[1], error: nil)
            case (.DELETE, 2):
                guard state.resources[type]?.removeValue(forKey: parts[1]) != nil else {
                    throw refusal(404, "DELETE", operation.path)
                }
                return SCIMBulkResult(status: 204, id: parts[1], error: nil)
            default:
                throw refusal(400, operation.method.rawValue, operation.path, "the fake cannot apply this operation")
            }
        } catch let error as SCIMError {
            return SCIMBulkResult(status: error.status ?? 500, id: nil, error: error)
        } catch {
            return SCIMBulkResult(status: 500, id: nil, error: refusal(500, operation.method.rawValue, operation.path, "\(error)"))
        }
    }
}
