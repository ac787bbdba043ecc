import Foundation
import GRDB
@testable import SyncStore
import Testing

/// Metaverse and connector-space ids are what references point at (metaverse references, pending exports, references):
/// one handed out twice would silently repoint them.
@Suite("Store ids")
struct IdentityTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idsync-store-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

    func user(_ name: String, mvID: Int64? = nil) -> CSObject {
        CSObject(connector: "ad", anchor: name, dn: "CN=\(name),DC=test", dnKey: "cn=\(name),dc=test", objectType: .user,
                 attributes: ["cn": [name]], mvID: mvID)
    }

    @Test("an id whose object was deleted is never handed out again, in the same transaction or later")
    func deletedIDsAreNotReused() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/idsync.sqlite")
        let (firstMV, firstCS) = try store.write { writer in
            let mv = try writer.insert(MVObject(objectType: .user, attributes: ["cn": ["a"]]))
            return (mv, try writer.insert(user("a", mvID: mv)))
        }
        // The highest rows are deleted and new ones inserted in the same transaction, as a sync does when one
        // user is deleted and another added.
        let (secondMV, secondCS) = try store.write { writer in
            try writer.deleteCSObject(id: firstCS)
            try writer.deleteMVObject(id: firstMV)
            let mv = try writer.insert(MVObject(objectType: .user, attributes: ["cn": ["b"]]))
            return (mv, try writer.insert(user("b", mvID: mv)))
        }
        #expect(secondMV != firstMV && secondCS != firstCS, "ids reused: mv \(firstMV) → \(secondMV), cs \(firstCS) → \(secondCS)")
        let (thirdMV, thirdCS) = try store.write { writer in
            try writer.deleteCSObject(id: secondCS)
            try writer.deleteMVObject(id: secondMV)
            let mv = try writer.insert(MVObject(objectType: .user, attributes: ["cn": ["c"]]))
            return (mv, try writer.insert(user("c", mvID: mv)))
        }
        #expect(thirdMV > secondMV && thirdCS > secondCS)
    }

    @Test("a database from before the id change keeps its objects, links, references and exports, and its ids")
    func upgradeKeepsEverything() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/idsync.sqlite"
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v5: unfinished sync")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO mv_objects (id, object_type, attributes, updated) VALUES (1, 'user', '{}', 0), (2, 'group', '{}', 0);
                    INSERT INTO cs_objects (id, connector, anchor, dn, dn_key, object_type, attributes, digest, mv_id, updated)
                        VALUES (1, 'ad', 'u', 'CN=u', 'cn=u', 'user', '{}', 'd', 1, 0),
                               (2, 'ad', 'g', 'CN=g', 'cn=g', 'group', '{"member":["CN=u"]}', 'd', 2, 0);
                    INSERT INTO cs_references (cs_id, attribute, dn_key) VALUES (2, 'member', 'cn=u');
                    INSERT INTO pending_exports (cs_id, operation, attributes, queued) VALUES (2, 'add', '{}', 0);
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        let (user, group, references, export, referrers) = try store.read { reader in
            (try reader.csObject(id: 1), try reader.csObject(id: 2), try reader.references(csID: 2),
             try reader.pendingExport(csID: 2), try reader.referrers(connector: "ad", dnKey: "cn=u"))
        }
        #expect(user?.mvID == 1)
        #expect(group?.attributes["member"] == ["CN=u"])
        #expect(references == [CSReference(attribute: "member", dnKey: "cn=u")])
        #expect(export?.operation == .add)
        #expect(referrers == [2])
        // Foreign keys still hold after the rebuild: deleting an object takes its references and export along,
        // deleting a metaverse object unlinks its connector-space objects.
        let after = try store.write { writer in
            try writer.deleteCSObject(id: 2)
            try writer.deleteMVObject(id: 2)
            try writer.deleteMVObject(id: 1)
            return (references: try writer.references(csID: 2), export: try writer.pendingExport(csID: 2),
                    user: try writer.csObject(id: 1), newMV: try writer.insert(MVObject(objectType: .user, attributes: [:])))
        }
        #expect(after.references.isEmpty && after.export == nil)
        #expect(after.user?.mvID == nil)
        #expect(after.newMV == 3, "a migrated database reused an id")
    }
}
