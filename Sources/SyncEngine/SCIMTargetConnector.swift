import Logging
import SCIM
import SyncConfiguration
import SyncStore
import Synchronization

/// Writes users and groups to a SCIM 2.0 service provider. Attribute maps here are in the target's
/// terms: reference attributes hold target ids.
public final class SCIMTargetConnector: Sendable {
    public let name: String
    let client: SCIMClient
    let useBulk: Bool
    let concurrency: Int
    /// Cleared when the server refuses `members[value eq "…"]` removals; member changes then replace the list.
    private let membersByFilter = Mutex(true)
    private let cachedFeatures = Mutex<SCIMFeatures?>(nil)

    var removesMembersByFilter: Bool { membersByFilter.withLock { $0 } }

    /// What the service provider supports (ServiceProviderConfig), asked once.
    func features() async throws -> SCIMFeatures {
        if let known = cachedFeatures.withLock({ $0 }) { return known }
        var features = (try? await client.features()) ?? .minimal
        if !useBulk { features.bulkMaxOperations = 0 }
        cachedFeatures.withLock { $0 = features }
        return features
    }

    public init(name: String, config: SCIMConnectorConfig, credentials: any SCIMCredentialProvider, logger: Logger) {
        self.name = name
        useBulk = config.bulk
        concurrency = config.concurrency
        client = SCIMClient(configuration: .init(baseURL: config.url, timeout: config.timeout),
                            credentials: credentials, logger: logger)
    }

    func references(_ types: [String: ObjectType] = [:]) -> SCIMMapping.References {
        SCIMMapping.References(baseURL: client.configuration.baseURL, types: types)
    }

    /// Checks that the service answers and accepts the credential, before the run touches the store.
    public func open() async throws {
        do {
            try await client.probe()
        } catch let error as SCIMError where error.isAuthenticationFailure {
            throw ConnectorError(connector: name, "the service refused the credential: \(error)")
        } catch let error as SCIMError {
            throw ConnectorError(connector: name, "cannot reach the SCIM service at \(client.configuration.baseURL): \(error)")
        } catch let error as OAuthError {
            throw ConnectorError(connector: name, "cannot get an access token: \(error)")
        }
    }

    public func close() async { await client.shutdown() }

    /// What the target already holds for an object idsync has not created (first contact): matched by
    /// externalId, then — for users — by userName. Results are checked here, never taken on trust from
    /// the server's filter.
    func findExisting(_ type: ObjectType, externalId: String?, userName: String?) async throws -> FoundObject? {
        let resourceType = SCIMMapping.resourceType(type)
        if let externalId, let match = try await client.find(resourceType, attribute: "externalId", equals: externalId,
                                                             caseSensitive: true).first {
            return FoundObject(resource: match, matchedBy: .externalId)
        }
        if type == .user, let userName, let match = try await client.find(resourceType, attribute: "userName", equals: userName).first {
            return FoundObject(resource: match, matchedBy: .userName)
        }
        return nil
    }

    struct FoundObject {
        enum Match { case externalId, userName }
        let resource: JSON
        let matchedBy: Match
        var id: String { resource["id"]?.stringValue ?? "" }
    }

    /// Creates the object; returns its target id. `types`: the object type of each referenced id.
    func create(_ type: ObjectType, _ attributes: AttributeMap, types: [String: ObjectType]) async throws -> String {
        let created = try await client.create(SCIMMapping.resourceType(type), SCIMMapping.resource(type, attributes, references: references(types)))
        return created["id"]?.stringValue ?? ""
    }

    /// Sends only what differs between `old` and `new`; nothing when they are equal. Returns whether a request was sent.
    @discardableResult
    func update(_ type: ObjectType, id: String, from old: AttributeMap, to new: AttributeMap,
                types: [String: ObjectType]) async throws -> Bool {
        let byFilter = removesMembersByFilter
        let operations = SCIMMapping.patchOperations(type, from: old, to: new, references: references(types), replaceMembers: !byFilter)
        guard !operations.isEmpty else { return false }
        do {
            try await client.patch(SCIMMapping.resourceType(type), id: id, operations)
        } catch let error as SCIMError where SCIMMapping.removesMembersByFilter(operations)
                    && [400, 500, 501].contains(error.status ?? 0) {
            // A server that cannot remove by filter (a PATCH fails whole, RFC 7644 §3.5.2): send the list.
            membersByFilter.withLock { $0 = false }
            try await client.patch(SCIMMapping.resourceType(type), id: id,
                                   SCIMMapping.patchOperations(type, from: old, to: new, references: references(types), replaceMembers: true))
        }
        return true
    }

    /// Deletes the object; one already gone counts as deleted.
    func delete(_ type: ObjectType, id: String) async throws {
        do {
            try await client.delete(SCIMMapping.resourceType(type), id: id)
        } catch let error as SCIMError where error.isNotFound {
            return
        }
    }
}
