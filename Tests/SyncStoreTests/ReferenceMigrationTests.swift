import Foundation
import GRDB
@testable import SyncStore
import Testing

/// The v8 migration: references written as text ("mv:<id>", "id:<target id>") into attribute maps by
/// earlier versions are read back as typed references; text that is no reference stays text.
@Suite("Store: typed references")
struct ReferenceMigrationTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idsync-refs-\(UUID().uuidString)").path

    init() throws { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

    @Test("a database written in the old text form reads typed references back after the migration")
    func oldTextReferencesBecomeTyped() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/idsync.sqlite"
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v7: deprovisioned target objects")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO mv_objects (id, object_type, attributes, updated) VALUES
                        (1, 'user', '{"displayName":["Boss"]}', 0),
                        (2, 'user', '{"description":["see mv:1"],"displayName":["Ada"],"manager":["mv:1"]}', 0),
                        (3, 'group', '{"displayName":["Team"],"member":["mv:1","mv:2"]}', 0);
                    INSERT INTO cs_objects (id, connector, anchor, dn, dn_key, object_type, attributes, digest, mv_id, updated) VALUES
                        (1, 'ad', 'g', 'CN=Team', 'cn=team', 'group', '{"description":["mv:1"],"member":["CN=Boss","CN=Ada"]}', 'd', 3, 0),
                        (2, 'cloud', 't-ada', 'ada', 'ada', 'user',
                         '{"enterprise.manager":["mv:1"],"title":["mv:1"],"userName":["ada"]}', 'd', 2, 0),
                        (3, 'cloud', 't-team', 'Team', 'team', 'group', '{"displayName":["Team"],"members":["mv:1","id:ext-7"]}', 'd', 3, 0);
                    INSERT INTO pending_exports (cs_id, operation, attributes, queued) VALUES
                        (3, 'update', '{"displayName":["Team"],"members":["mv:1","mv:2","id:ext-7"]}', 0);
                    """)
            }
        }
        let store = try SQLiteStore(path: path)
        let (boss, ada, team) = try store.read { reader in
            (try #require(try reader.mvObject(id: 1)), try #require(try reader.mvObject(id: 2)), try #require(try reader.mvObject(id: 3)))
        }
        #expect(boss.references.isEmpty)
        #expect(ada.references == ["manager": [.metaverse(1)]])
        #expect(ada.attributes == ["description": ["see mv:1"], "displayName": ["Ada"]])
        #expect(team.references == ["member": [.metaverse(1), .metaverse(2)]])
        #expect(team.attributes == ["displayName": ["Team"]])

        let (source, targetUser, targetGroup, export) = try store.read { reader in
            (try #require(try reader.csObject(id: 1)), try #require(try reader.csObject(id: 2)), try #require(try reader.csObject(id: 3)),
             try #require(try reader.pendingExport(csID: 3)))
        }
        #expect(source.attributes == ["description": ["mv:1"], "member": ["CN=Boss", "CN=Ada"]], "a source object is left as it was")
        #expect(source.references.isEmpty)
        #expect(targetUser.references == ["enterprise.manager": [.metaverse(1)]])
        #expect(targetUser.attributes == ["title": ["mv:1"], "userName": ["ada"]], "no reference attribute: text")
        #expect(targetUser.digest == targetUser.attributes.digest())
        #expect(targetGroup.references == ["members": [.metaverse(1), .target("ext-7")]])
        #expect(targetGroup.attributes == ["displayName": ["Team"]])
        #expect(export.references == ["members": [.metaverse(1), .metaverse(2), .target("ext-7")]])
        #expect(export.attributes == ["displayName": ["Team"]])
    }

    @Test("references are stored typed and read back as they were written, whatever their ids look like")
    func referencesRoundTrip() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: "\(directory)/idsync.sqlite")
        let references: ReferenceMap = ["member": [.metaverse(7), .target("42"), .target("a \"quoted\" id"), .metaverse(9_000_000_000)]]
        let (mv, export) = try store.write { writer in
            let mv = try writer.insert(MVObject(objectType: .group, attributes: ["description": ["mv:7"]], references: references))
            let cs = try writer.insert(CSObject(connector: "cloud", anchor: nil, dn: "g", dnKey: "g", objectType: .group, attributes: [:],
                                                references: references, mvID: mv))
            try writer.setPendingExport(PendingExport(csID: cs, operation: .add, attributes: ["displayName": ["mv:7"]], references: references))
            return (mv, cs)
        }
        let read = try store.read { reader in
            (try reader.mvObject(id: mv), try reader.csObject(id: export), try reader.pendingExport(csID: export))
        }
        #expect(read.0?.references == references)
        #expect(read.0?.attributes == ["description": ["mv:7"]])
        #expect(read.1?.references == references)
        #expect(read.2?.references == references)
        #expect(read.2?.attributes == ["displayName": ["mv:7"]])
        #expect(try ReferenceMap.fromJSON(references.canonicalJSON()) == references)
        #expect(try ReferenceMap.fromJSON(#"{"member":[-3,0]}"#) == ["member": [.metaverse(-3), .metaverse(0)]])
        #expect(throws: StoreError.self) { try ReferenceMap.fromJSON(#"{"member":[1.5]}"#) }
        #expect(throws: StoreError.self, "beyond Int64") { try ReferenceMap.fromJSON(#"{"member":[99999999999999999999]}"#) }
    }
}
