import Foundation
import LDAP
import SyncConfiguration
import SyncStore

/// Active Directory's delta import: the DirSync control (1.2.840.113556.1.4.841) from the stored cookie.
///
/// DirSync says *which* objects changed; each changed user or group is then read again whole by its
/// objectGUID, so a change never leaves a partial object and scope is judged on the current DN. A moved
/// or renamed OU carries no change for the objects under it, so its subtree is read again. Deleted objects
/// come back as tombstones only to accounts allowed to read them (Samba hides them from all but
/// administrators), so unless `delete_detection: tombstones`, a sweep of the objectGUIDs in scope finds
/// the deletes. The cookie is handed over only on the last page: a crash re-reads, never skips.
final class DirSyncDelta: DeltaSource {
    struct Watermark: Codable {
        var cookie: [UInt8]
        /// DirSync without replication rights (LDAP_DIRSYNC_OBJECT_SECURITY): only readable objects, no tombstones.
        var objectSecurity: Bool
        var namingContext: String
    }

    private let connection: LDAPConnection
    private let connector: String
    private let config: LDAPConnectorConfig
    private let mapper: EntryMapper
    private var watermark: Watermark
    private var phase: Phase = .dirSync
    private var changedContainers: [String] = []
    private var sweep: LDAPPagedSearch.AsyncIterator?
    private var sweepBases: [String]

    private enum Phase { case dirSync, containers, sweep, done }

    /// `mapper` says what is read: the DirSync search asks for the same attributes, since DirSync reports
    /// an object only when an attribute it was asked for changed.
    init(connection: LDAPConnection, connector: String, config: LDAPConnectorConfig, mapper: EntryMapper, watermark: Watermark) {
        self.connection = connection
        self.connector = connector
        self.config = config
        self.mapper = mapper
        self.watermark = watermark
        self.sweepBases = config.searchBases
    }

    static let filter = "(|(objectClass=user)(objectClass=group)(objectClass=organizationalUnit))"

    func next() async throws -> DeltaPage? {
        switch phase {
        case .dirSync: return try await dirSyncPage()
        case .containers: return try await containerPage()
        case .sweep: return try await sweepPage()
        case .done: return nil
        }
    }

    // MARK: DirSync

    private func dirSyncPage() async throws -> DeltaPage {
        let result: LDAPSearchResult
        do {
            result = try await connection.search(
                base: watermark.namingContext, scope: .subtree, filter: Self.filter,
                attributes: mapper.attributes + ["isDeleted", "name"],
                controls: [ActiveDirectory.dirSyncControl(flags: Self.flags(watermark.objectSecurity), maxAttributeCount: 0,
                                                          cookie: watermark.cookie)])
        } catch let error as LDAPError where error.code == 2 || error.code == 53 || error.code == 12 {
            // protocolError / unwillingToPerform / unavailableCriticalExtension: the cookie is not accepted.
            throw WatermarkRejected("DirSync refused the cookie: \(error.description)")
        }
        guard let control = result.controls.first(where: { $0.oid == ActiveDirectory.dirSyncOID }),
              let response = ActiveDirectory.parseDirSyncResponse(control) else {
            throw ConnectorError(connector: connector, "DirSync answered without its response control")
        }
        var changes: [DeltaChange] = []
        for entry in result.entries {
            guard let guid = entry.values("objectGUID").first.flatMap(ActiveDirectory.guidString) else { continue }
            if entry.string("isDeleted")?.uppercased() == "TRUE" {
                changes.append(.delete(anchor: guid))
            } else if Self.isContainer(entry) {
                if isInScope(entry.dn) { changedContainers.append(entry.dn) }
            } else if !isInScope(entry.dn) {
                // Outside every container in scope (DirSync answers for the whole domain): nothing to read. If it
                // was in scope before, it has left it, which for the target is a delete.
                changes.append(.delete(anchor: guid))
            } else if let change = try await reread(guid) {
                changes.append(change)
            }
        }
        watermark.cookie = response.cookie
        if !response.moreResults { phase = changedContainers.isEmpty ? .sweep : .containers }
        return DeltaPage(changes: changes)
    }

    /// The object as it is now, if it is still a user or group in scope; otherwise it left the scope. An OU
    /// is queued for its subtree to be read (nil): DirSync sends only the changed attributes, so a moved or
    /// renamed OU comes without its objectClass (Samba sends name and parentGUID) and is known only here.
    private func reread(_ guid: String) async throws -> DeltaChange? {
        do {
            let found = try await connection.search(base: "<GUID=\(guid)>", scope: .base,
                                                    filter: "(|\(mapper.filter)(objectClass=organizationalUnit))",
                                                    attributes: mapper.attributes)
            guard let entry = found.entries.first, isInScope(entry.dn) else { return .delete(anchor: guid) }
            if Self.isContainer(entry) {
                changedContainers.append(entry.dn)
                return nil
            }
            return .upsert(mapper.item(from: try await connection.readingRemainingRanges(of: entry)))
        } catch let error as LDAPError where error.isNoSuchObject {
            return .delete(anchor: guid)
        }
    }

    private static func isContainer(_ entry: LDAPEntry) -> Bool {
        entry.strings("objectClass").contains { $0.caseInsensitiveCompare("organizationalUnit") == .orderedSame }
    }

    private func isInScope(_ dn: String) -> Bool {
        config.searchBases.contains { DistinguishedName.isWithin(dn, base: $0) }
    }

    // MARK: Moved or renamed containers

    private var containerSearch: LDAPPagedSearch.AsyncIterator?

    private func containerPage() async throws -> DeltaPage {
        var changes: [DeltaChange] = []
        while changes.count < config.pageSize {
            if containerSearch == nil {
                guard !changedContainers.isEmpty else { break }
                let base = changedContainers.removeFirst()
                containerSearch = connection.pagedSearch(base: base, scope: .subtree, filter: mapper.filter,
                                                         attributes: mapper.attributes, pageSize: config.pageSize).makeAsyncIterator()
            }
            if let entry = try await containerSearch?.next() {
                // A group moved with its OU holds all its members: AD sends 1,500 per range.
                changes.append(.upsert(mapper.item(from: try await connection.readingRemainingRanges(of: entry))))
            } else {
                containerSearch = nil
            }
        }
        if containerSearch == nil && changedContainers.isEmpty { phase = .sweep }
        return DeltaPage(changes: changes)
    }

    // MARK: Deletes

    private func sweepPage() async throws -> DeltaPage {
        // Without replication rights DirSync shows no tombstones, whatever the configuration says.
        guard config.deleteDetection == .sweep || watermark.objectSecurity else {
            phase = .done
            return DeltaPage(changes: [], watermark: try encoded(), presenceComplete: false)
        }
        var changes: [DeltaChange] = []
        while changes.count < config.pageSize * 4 {
            if sweep == nil {
                guard !sweepBases.isEmpty else { break }
                sweep = connection.pagedSearch(base: sweepBases.removeFirst(), scope: .subtree, filter: mapper.filter,
                                               attributes: ["objectGUID"], pageSize: config.pageSize).makeAsyncIterator()
            }
            if let entry = try await sweep?.next() {
                if let guid = entry.values("objectGUID").first.flatMap(ActiveDirectory.guidString) { changes.append(.present(anchor: guid)) }
            } else {
                sweep = nil
            }
        }
        guard sweep == nil && sweepBases.isEmpty else { return DeltaPage(changes: changes) }
        phase = .done
        return DeltaPage(changes: changes, watermark: try encoded(), presenceComplete: true)
    }

    private func encoded() throws -> Data { try JSONEncoder().encode(watermark) }

    static func flags(_ objectSecurity: Bool) -> Int32 {
        objectSecurity ? ActiveDirectory.DirSyncFlags.objectSecurity : 0
    }

    /// A cookie for "now": DirSync with a filter nothing matches still returns the current position.
    static func currentWatermark(connection: LDAPConnection, connector: String) async throws -> Data {
        let root = try await connection.search(base: "", scope: .base, filter: "(objectClass=*)", attributes: ["defaultNamingContext"])
        guard let namingContext = root.entries.first?.string("defaultNamingContext") else {
            throw ConnectorError(connector: connector, "the rootDSE names no defaultNamingContext")
        }
        for objectSecurity in [false, true] {
            do {
                let result = try await connection.search(
                    base: namingContext, scope: .subtree, filter: "(objectGUID=\\00)", attributes: ["objectGUID"],
                    controls: [ActiveDirectory.dirSyncControl(flags: flags(objectSecurity), maxAttributeCount: 0, cookie: [])])
                guard let control = result.controls.first(where: { $0.oid == ActiveDirectory.dirSyncOID }),
                      let response = ActiveDirectory.parseDirSyncResponse(control) else { break }
                return try JSONEncoder().encode(Watermark(cookie: response.cookie, objectSecurity: objectSecurity,
                                                          namingContext: namingContext))
            } catch let error as LDAPError where error.code == 50 && !objectSecurity {
                continue   // no replication rights: DirSync in object-security mode
            }
        }
        throw ConnectorError(connector: connector, "DirSync is not available on this directory")
    }
}
