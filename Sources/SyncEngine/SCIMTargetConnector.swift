import Logging
import SCIM
import SyncConfiguration
import SyncStore
import Synchronization

/// Writes users and groups to a SCIM 2.0 service provider. Attribute maps here are in the target's
/// terms: reference attributes hold target ids.
public final class SCIMTargetConnector: Sendable, ExportTarget {
    public let name: String
    let client: SCIMClient
    let useBulk: Bool
    let concurrency: Int
    /// Cleared when the server refuses `members[value eq "…"]` removals; member changes then replace the list.
    private let membersByFilter = Mutex(true)
    /// Read once each: a connector lives for one cycle, so the rules check and the export of that cycle share
    /// one read.
    private let cachedFeatures = Mutex<SCIMFeatures?>(nil)
    private let cachedCatalog = Mutex<SCIMSchemaCatalog??>(nil)
    private let logger: Logger

    var removesMembersByFilter: Bool { membersByFilter.withLock { $0 } }
    func stopRemovingMembersByFilter() { membersByFilter.withLock { $0 = false } }

    /// What the service provider supports (ServiceProviderConfig), asked once. It only tunes how requests are
    /// sent, so one that cannot be read gives the least (no Bulk, no filter), logged once per process.
    func features() async throws -> SCIMFeatures {
        if let known = cachedFeatures.withLock({ $0 }) { return known }
        var features: SCIMFeatures
        do {
            features = try await client.features()
        } catch {
            if Self.firstTime("\(name) /ServiceProviderConfig") {
                logger.warning("the SCIM service's ServiceProviderConfig cannot be read: idsync assumes no Bulk and no filter",
                               metadata: ["connector": "\(name)", "reason": "\(error)"])
            }
            features = .minimal
        }
        if !useBulk { features.bulkMaxOperations = 0 }
        cachedFeatures.withLock { $0 = features }
        return features
    }

    /// The target's schemas and resource types, asked once; nil when the service serves none.
    public func schemaCatalog() async throws -> SCIMSchemaCatalog? {
        if let known = cachedCatalog.withLock({ $0 }) { return known }
        let catalog = try await client.schemaCatalog()
        cachedCatalog.withLock { $0 = .some(catalog) }
        return catalog
    }

    /// Everything the service provider says of itself, with what it leaves out (`connector probe`), and Bulk
    /// left out when the connector turns it off.
    public func profile() async throws -> SCIMServiceProfile {
        var profile = try await client.serviceProfile()
        if !useBulk { profile.features.bulkMaxOperations = 0 }
        return profile
    }

    private static let told = Mutex<Set<String>>([])
    private static func firstTime(_ what: String) -> Bool { told.withLock { $0.insert(what).inserted } }

    public init(name: String, config: SCIMConnectorConfig, credentials: any SCIMCredentialProvider, logger: Logger) {
        self.name = name
        useBulk = config.bulk
        concurrency = config.concurrency
        self.logger = logger
        client = SCIMClient(configuration: .init(baseURL: config.url, timeout: config.timeout),
                            credentials: credentials, logger: logger)
    }

    func references(_ types: [String: ObjectType]) -> SCIMMapping.References {
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

    // MARK: ExportTarget: the requests, as the SCIM service answers them

    func find(_ type: ObjectType, attribute: String, equals value: String, caseSensitive: Bool) async throws -> [JSON] {
        try await client.find(SCIMMapping.resourceType(type), attribute: attribute, equals: value, caseSensitive: caseSensitive)
    }

    func forEachResource(_ type: ObjectType, pageSize: Int?, _ body: (JSON) throws -> Void) async throws {
        try await client.forEachResource(SCIMMapping.resourceType(type), pageSize: pageSize, body)
    }

    func get(_ type: ObjectType, id: String) async throws -> JSON {
        try await client.get(SCIMMapping.resourceType(type), id: id)
    }

    func create(_ type: ObjectType, _ resource: JSON) async throws -> JSON {
        try await client.create(SCIMMapping.resourceType(type), resource)
    }

    func patch(_ type: ObjectType, id: String, _ operations: [SCIMPatchOperation]) async throws {
        _ = try await client.patch(SCIMMapping.resourceType(type), id: id, operations)
    }

    func delete(_ type: ObjectType, id: String) async throws {
        try await client.delete(SCIMMapping.resourceType(type), id: id)
    }

    func bulk(_ operations: [SCIMBulkOperation]) async throws -> [SCIMBulkResult] {
        try await client.bulk(operations)
    }
}
