import Foundation
import LDAP
import SyncConfiguration
import SyncStore

/// OpenLDAP's delta import: an RFC 4533 syncrepl refresh (refreshOnly) from the stored cookie.
///
/// Changed entries arrive whole; deletes arrive as delete states, as syncIdSets (with a session log), or —
/// the case consumers miss (LSC issue #486) — implied by a present phase, in which the server names every
/// entry still in scope and the rest is gone: that becomes a complete presence listing, so whatever the
/// connector space holds and the server did not name is deleted. The cookie goes with the last page.
final class SyncReplDelta: DeltaSource {
    struct Watermark: Codable {
        var cookie: [UInt8]
    }

    private let connection: LDAPConnection
    private let connector: String
    private let config: LDAPConnectorConfig
    private let mapper: EntryMapper
    private var events: SyncReplRefresh.AsyncIterator
    private let previous: Watermark
    private var finished = false

    init(connection: LDAPConnection, connector: String, config: LDAPConnectorConfig, mapper: EntryMapper, watermark: Watermark) {
        self.connection = connection
        self.connector = connector
        self.config = config
        self.mapper = mapper
        self.previous = watermark
        events = connection.syncReplEvents(base: config.baseDN, scope: .subtree, filter: mapper.filter,
                                           attributes: mapper.attributes, cookie: watermark.cookie).makeAsyncIterator()
    }

    func next() async throws -> DeltaPage? {
        guard !finished else { return nil }
        var changes: [DeltaChange] = []
        var presenceComplete = false
        do {
            while changes.count < config.pageSize {
                guard let event = try await events.next() else { throw ConnectorError(connector: connector, "syncrepl ended without its done message") }
                switch event {
                case .change(let change):
                    guard let uuid = OpenLDAP.uuidString(change.entryUUID) else { continue }
                    switch change.state {
                    case .add, .modify:
                        if let entry = change.entry, config.searchBases.contains(where: { DistinguishedName.isWithin(entry.dn, base: $0) }) {
                            // slapd sends no ranges; a directory that did (AD-style) gets them read to their end.
                            // Between batches of the refresh the connection is free for the base searches.
                            changes.append(.upsert(mapper.item(from: try await connection.readingRemainingRanges(of: entry))))
                        } else {
                            changes.append(.delete(anchor: uuid))   // moved out of the containers in scope
                        }
                    case .present: changes.append(.present(anchor: uuid))
                    case .delete: changes.append(.delete(anchor: uuid))
                    }
                case .deleted(let uuids):
                    changes += uuids.compactMap(OpenLDAP.uuidString).map { .delete(anchor: $0) }
                case .present(let uuids):
                    changes += uuids.compactMap(OpenLDAP.uuidString).map { .present(anchor: $0) }
                case .deleteAllExcept:
                    // Every entry still in scope was named above, as present or changed.
                    presenceComplete = true
                case .done(let cookie):
                    finished = true
                    let watermark = try JSONEncoder().encode(Watermark(cookie: cookie ?? previous.cookie))
                    return DeltaPage(changes: changes, watermark: watermark, presenceComplete: presenceComplete)
                }
            }
        } catch let error as LDAPError where error.isSyncRefreshRequired {
            throw WatermarkRejected("the server needs a full refresh (e-syncRefreshRequired)")
        }
        return DeltaPage(changes: changes)
    }

    /// A cookie for "now": a refresh whose filter matches nothing names no entry but ends with the current cookie.
    static func currentWatermark(connection: LDAPConnection, config: LDAPConnectorConfig) async throws -> Data {
        var cookie: [UInt8] = []
        for try await event in connection.syncReplEvents(base: config.baseDN, scope: .subtree, filter: "(entryUUID=00000000-0000-0000-0000-000000000000)",
                                                         attributes: ["1.1"], cookie: nil) {
            if case .done(let final) = event { cookie = final ?? [] }
        }
        return try JSONEncoder().encode(Watermark(cookie: cookie))
    }
}
