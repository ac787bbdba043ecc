import Foundation
import IDSyncTesting
import LDAP

/// How a test's slapd sends deletes to a consumer whose cookie is older than them.
enum DeleteDelivery: String, CaseIterable, Sendable, CustomStringConvertible {
    /// No session log: a present phase, which names what is left and leaves the deletes to be inferred.
    case presentPhase
    /// A session log: deletes named in syncIdSets (refreshDeletes TRUE).
    case sessionLog

    var sessionLogSize: Int? { self == .sessionLog ? 100 : nil }
    var description: String { rawValue }
}

/// The people of a test's slapd, and a syncrepl consumer of them.
struct PeopleDirectory {
    let server: OpenLDAPServer

    var peopleDN: String { "ou=people,\(server.baseDN)" }
    static let filter = "(objectClass=inetOrgPerson)"

    func dn(_ uid: String) -> String { "uid=\(uid),\(peopleDN)" }

    func addPerson(_ admin: LDAPConnection, _ uid: String, cn: String? = nil) async throws {
        try await admin.add(dn: dn(uid), attributes: [
            "objectClass": [LDAPValue(utf8: "inetOrgPerson")], "uid": [LDAPValue(utf8: uid)],
            "cn": [LDAPValue(utf8: cn ?? "Person \(uid)")], "sn": [LDAPValue(utf8: "Test")],
        ])
    }

    /// Adds `count` people, uid bulk0… (cn "Bulk Person N"), offline with slapadd, which is fast.
    func load(count: Int) async throws {
        let ldif = (0..<count).map { index in
            """
            dn: \(dn("bulk\(index)"))
            objectClass: inetOrgPerson
            uid: bulk\(index)
            cn: Bulk Person \(index)
            sn: Bulk
            mail: bulk\(index)@example.test

            """
        }.joined(separator: "\n")
        let file = server.directory + "/bulk.ldif"
        try ldif.write(toFile: file, atomically: true, encoding: .utf8)
        try await server.loadOffline(ldifFile: file)
    }

    func rename(_ admin: LDAPConnection, _ uid: String, cn: String) async throws {
        try await admin.modify(dn: dn(uid), [LDAPModification(.replace, "cn", [LDAPValue(utf8: cn)])])
    }

    /// The entry's entryUUID as slapd shows it (text), turned into syncrepl's bytes.
    func entryUUID(_ admin: LDAPConnection, _ uid: String) async throws -> [UInt8] {
        let result = try await admin.search(base: dn(uid), scope: .base, filter: "(objectClass=*)", attributes: ["entryUUID"])
        guard let text = result.entries.first?.string("entryUUID"), let bytes = OpenLDAP.uuidBytes(text) else {
            throw TestSetupError("no entryUUID on \(dn(uid))")
        }
        return bytes
    }

    /// What a consumer should end up with: each person's cn by entryUUID, read with a plain search.
    func content(_ admin: LDAPConnection) async throws -> [[UInt8]: String] {
        let result = try await admin.search(base: peopleDN, scope: .subtree, filter: Self.filter,
                                            attributes: ["entryUUID", "cn"])
        var content: [[UInt8]: String] = [:]
        for entry in result.entries {
            guard let uuid = entry.string("entryUUID").flatMap(OpenLDAP.uuidBytes) else {
                throw TestSetupError("no entryUUID on \(entry.dn)")
            }
            content[uuid] = entry.string("cn")
        }
        return content
    }

    func refresh(_ connection: LDAPConnection, cookie: [UInt8]?, reloadHint: Bool = false) async throws -> SyncReplResult {
        try await connection.syncReplRefresh(base: peopleDN, scope: .subtree, filter: Self.filter,
                                             attributes: ["uid", "cn"], cookie: cookie, reloadHint: reloadHint)
    }
}

/// What a syncrepl consumer keeps: the entries by entryUUID, and the cookie.
struct Replica {
    var entries: [[UInt8]: LDAPEntry] = [:]
    var cookie: [UInt8]?

    var content: [[UInt8]: String] { entries.compactMapValues { $0.string("cn") } }

    /// Applies a refresh the way the API leaves a consumer to: upserts, then the deletes and the cookie
    /// from `reconcile`. Returns the deletes.
    @discardableResult
    mutating func apply(_ result: SyncReplResult) -> [[UInt8]] {
        for change in result.changes where change.state == .add || change.state == .modify {
            entries[change.entryUUID] = change.entry
        }
        let (deletions, cookie) = result.reconcile(holding: entries.keys)
        for uuid in deletions { entries[uuid] = nil }
        if let cookie { self.cookie = cookie }
        return deletions
    }
}

extension SyncReplResult {
    /// The UUIDs of the entries sent with attributes.
    var upserted: Set<[UInt8]> {
        Set(changes.filter { $0.state == .add || $0.state == .modify }.map(\.entryUUID))
    }

    /// The deletes a consumer that ignores present phases would see (LSC's failure, its issue #486).
    var explicitDeletes: [[UInt8]] {
        changes.filter { $0.state == .delete }.map(\.entryUUID) + deletedUUIDs
    }
}
