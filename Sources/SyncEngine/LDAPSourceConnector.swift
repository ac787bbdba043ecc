import Foundation
import LDAP
import Logging
import SyncConfiguration
import SyncStore
import Synchronization

/// Reads users and groups from Active Directory (or OpenLDAP) over LDAPS / StartTLS with paged searches.
public final class LDAPSourceConnector: SourceConnector {
    public let name: String
    private let config: LDAPConnectorConfig
    private let password: @Sendable () throws -> String
    private let logger: Logger
    private let mapper: EntryMapper
    private let connection = Mutex<LDAPConnection?>(nil)

    /// `password` is asked for once, when the connector opens, and not kept.
    /// AD's linked attributes (member, manager) follow renames without changing the groups that hold them.
    public var referencesFollowRenames: Bool { config.flavor == .activeDirectory }

    /// `attributes`: what the inbound rules in force read from this directory; nil reads the flavor's
    /// built-in list (``SourceAttributes/builtIn(_:)``). Every read path (full import, DirSync, syncrepl)
    /// reads the same attributes, so a delta never drops what a full import kept.
    public init(name: String, config: LDAPConnectorConfig, password: @escaping @Sendable () throws -> String, logger: Logger,
                attributes: SourceAttributes? = nil) {
        self.name = name
        self.config = config
        self.password = password
        self.logger = logger
        self.mapper = EntryMapper(flavor: config.flavor, attributes: attributes)
    }

    public func open() async throws {
        // Before anything connects: no password goes over plain ldap:// unless a lab allows it.
        if let refusal = config.plaintextBindRefusal { throw ConnectorError(connector: name, refusal) }
        if !config.bindsOverTLS {
            logger.warning("\(LDAPConnectorConfig.plaintextBindWarning)", metadata: ["connector": "\(name)"])
        } else if !config.tlsVerify {
            logger.warning("tls_verify is false: the server certificate is NOT verified; use only in a lab",
                           metadata: ["connector": "\(name)", "url": "\(config.url)"])
        }
        let secret = try password()   // before connecting: without it there is nothing to do
        let options = config.connectionOptions
        let opened: LDAPConnection
        do {
            opened = try await LDAPConnection.connect(options)
        } catch let error as LDAPError {
            throw ConnectorError(connector: name, "cannot connect to \(config.url): \(error.description)")
        }
        do {
            try await opened.simpleBind(dn: config.bindDN, password: secret)
        } catch let error as LDAPError {
            await opened.close()
            throw ConnectorError(connector: name, "bind as \(config.bindDN) refused: \(error.description)")
        } catch {
            await opened.close()
            throw error
        }
        connection.withLock { $0 = opened }
    }

    public func close() async {
        let open = connection.withLock { current in defer { current = nil }; return current }
        await open?.close()
    }

    public func currentWatermark() async throws -> Data? {
        do {
            switch config.flavor {
            case .activeDirectory: return try await DirSyncDelta.currentWatermark(connection: try openConnection(), connector: name)
            case .openLDAP: return try await SyncReplDelta.currentWatermark(connection: try openConnection(), config: config)
            }
        } catch let error as LDAPError {
            throw ConnectorError(connector: name, "cannot read a delta watermark: \(error.description)")
        }
    }

    public func deltaImport(from watermark: Data) -> DeltaStream {
        let connection = connection.withLock { $0 }
        let config = config, name = name, mapper = mapper
        return DeltaStream {
            guard let connection else { return RejectedDelta(reason: "not connected") }
            switch config.flavor {
            case .activeDirectory:
                guard let decoded = try? JSONDecoder().decode(DirSyncDelta.Watermark.self, from: watermark) else { break }
                return DirSyncDelta(connection: connection, connector: name, config: config, mapper: mapper, watermark: decoded)
            case .openLDAP:
                guard let decoded = try? JSONDecoder().decode(SyncReplDelta.Watermark.self, from: watermark) else { break }
                return SyncReplDelta(connection: connection, connector: name, config: config, mapper: mapper, watermark: decoded)
            }
            return RejectedDelta(reason: "the stored watermark is not a \(config.flavor.rawValue) one")
        }
    }

    private func openConnection() throws -> LDAPConnection {
        guard let open = connection.withLock({ $0 }) else { throw ConnectorError(connector: name, "not connected") }
        return open
    }

    public func fullImport() -> ImportStream {
        let connection = connection.withLock { $0 }
        let config = config, name = name, mapper = mapper
        return ImportStream {
            PagedImport(connection: connection, connectorName: name, config: config, mapper: mapper)
        }
    }

    /// The directory's schema (its subschema entry's attribute types): which attributes exist, and which
    /// are single-valued or binary. After ``open()``.
    public func schema() async throws -> DirectorySchema {
        do {
            return try await openConnection().readSchema()
        } catch let error as LDAPError {
            throw ConnectorError(connector: name, "cannot read the directory schema: \(error.description)")
        }
    }
}

/// A delta that cannot start: the import falls back to a full import.
private final class RejectedDelta: DeltaSource {
    let reason: String
    init(reason: String) { self.reason = reason }
    func next() async throws -> DeltaPage? { throw WatermarkRejected(reason) }
}

/// Walks the configured search bases one after another, a page at a time.
private final class PagedImport: ImportSource {
    private let connection: LDAPConnection?
    private let connectorName: String
    private let config: LDAPConnectorConfig
    private let mapper: EntryMapper
    private var bases: [String]
    private var current: LDAPPagedSearch.AsyncIterator?

    init(connection: LDAPConnection?, connectorName: String, config: LDAPConnectorConfig, mapper: EntryMapper) {
        self.connection = connection
        self.connectorName = connectorName
        self.config = config
        self.mapper = mapper
        self.bases = config.searchBases
    }

    func next() async throws -> ImportItem? {
        guard let connection else { throw ConnectorError(connector: connectorName, "import before open()") }
        while true {
            if current == nil {
                guard !bases.isEmpty else { return nil }
                let base = bases.removeFirst()
                current = connection.pagedSearch(base: base, scope: .subtree, filter: mapper.filter,
                                                 attributes: mapper.attributes, pageSize: config.pageSize).makeAsyncIterator()
            }
            do {
                if let entry = try await current?.next() {
                    return mapper.item(from: try await connection.readingRemainingRanges(of: entry))
                }
            } catch let error as LDAPError {
                throw ConnectorError(connector: connectorName, "import failed: \(error.description)")
            }
            current = nil
        }
    }
}
