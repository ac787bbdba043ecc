import Foundation
import IDSyncTesting
import LDAP
import Logging
import SyncConfiguration
@testable import SyncEngine
import Testing

@Suite("Source attributes: what a connector reads (no server)")
struct SourceAttributesTests {
    @Test func builtInListsAreWhatIdsyncAlwaysRead() {
        let ad = SourceAttributes.builtIn(.activeDirectory)
        #expect(ad.text.contains("userPrincipalName") && ad.text.contains("uSNChanged") && ad.binary.isEmpty)
        #expect(ad.references == ["manager", "member"])
        #expect(SourceAttributes.builtIn(.openLDAP).text.contains("departmentNumber"))
        #expect(EntryMapper(flavor: .openLDAP).source == .builtIn(.openLDAP), "no rules given: the built-in list")
    }

    @Test func memberIsAlwaysReadAsAReference() {
        let rules = SourceAttributes(text: ["mail"])
        #expect(rules.references == ["member"], "group-membership scoping reads member from the connector space")
        #expect(SourceAttributes(text: ["member"], binary: ["member"]).references == ["member"])
        #expect(SourceAttributes(references: ["Member"]).references == ["Member", "member"],
                "the rules' spelling and the engine's are both kept")
    }

    @Test func aNameInSeveralListsIsReadOnceAsTheStrongestKind() {
        let attributes = SourceAttributes(text: ["objectSid", "mail", "manager", "mail"], binary: ["objectsid"], references: ["manager"])
        #expect(attributes.binary == ["objectsid", "objectSid"], "text would reject every entry holding a SID")
        #expect(attributes.references == ["manager", "member"])
        #expect(attributes.text == ["mail"])
    }

    @Test func theMapperAsksForEachAttributeOnceWithTheAnchor() {
        let mapper = EntryMapper(flavor: .activeDirectory,
                                 attributes: SourceAttributes(text: ["msDS-cloudExtensionAttribute1", "MSDS-CLOUDEXTENSIONATTRIBUTE1",
                                                                     "objectGUID", "objectclass"]))
        #expect(mapper.attributes.prefix(2) == ["objectGUID", "objectClass"])
        #expect(mapper.attributes.count == 4 && Set(mapper.attributes) == ["objectGUID", "objectClass", "member", "msDS-cloudExtensionAttribute1"])
    }
}

/// A source connector configured the way idsync.yaml configures one: `settings` are its `type: ldap` keys.
func sourceConnector(attributes: SourceAttributes?, password: String, settings: String) throws -> LDAPSourceConnector {
    let indented = settings.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n")
    let yaml = """
        connectors:
          - name: directory
            type: ldap
        \(indented)
          - name: cloud
            type: scim
            url: http://127.0.0.1:9/scim/v2/
            auth: { type: bearer }
        """
    let config = try ConfigLoader.parse(yaml, file: "/test/idsync.yaml")
    guard case .ldap(let ldap)? = config.connectors.first?.kind else { throw TestSetupError("no ldap connector parsed") }
    return LDAPSourceConnector(name: "directory", config: ldap, password: { password }, logger: Logger(label: "test"),
                               attributes: attributes)
}

/// Every object a full import yields, by DN key.
func importedObjects(_ connector: LDAPSourceConnector) async throws -> [String: ImportedObject] {
    var objects: [String: ImportedObject] = [:]
    for try await item in connector.fullImport() {
        guard case .object(let object) = item else { Issue.record("rejected: \(item)"); continue }
        objects[object.dnKey] = object
    }
    return objects
}

/// Every upsert of a delta import from `watermark`, in order.
func deltaUpserts(_ connector: LDAPSourceConnector, from watermark: Data) async throws -> [ImportedObject] {
    var upserts: [ImportedObject] = []
    for try await page in connector.deltaImport(from: watermark) {
        for case .upsert(let item) in page.changes {
            guard case .object(let object) = item else { Issue.record("rejected: \(item)"); continue }
            upserts.append(object)
        }
    }
    return upserts
}

/// A Samba AD DC connector of the test's own containers, read as idsync reads it.
struct SambaSource {
    let dc: SambaDC

    static func make() async throws -> SambaSource { SambaSource(dc: try await SambaDC.shared()) }

    /// A connector over LDAPS as the domain administrator, scoped to `containers`.
    func connector(containers: [String], attributes: SourceAttributes?) throws -> LDAPSourceConnector {
        try sourceConnector(attributes: attributes, password: dc.adminPassword, settings: """
            flavor: active-directory
            url: \(dc.ldapsURL)
            tls_ca_file: \(dc.caFile)
            bind_dn: \(dc.adminUPN)
            base_dn: \(dc.baseDN)
            containers: [\(containers.map { "\"\($0)\"" }.joined(separator: ", "))]
            """)
    }

    /// `count` new contacts, members enough for groups larger than one AD range. Added over 8 connections at
    /// once: Samba adds about 50 entries/s over one, about 100/s over several.
    func addContacts(_ count: Int) async throws -> [String] {
        let ou = try await dc.makeOU(prefix: "contacts")
        let dns = (0..<count).map { "CN=c\($0),\(ou)" }
        let share = (count + 7) / 8
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: count, by: share) {
                let slice = dns[start..<min(start + share, count)]
                group.addTask { [dc] in
                    try await dc.asAdmin { connection in
                        for dn in slice { try await connection.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "contact")]]) }
                    }
                }
            }
            try await group.waitForAll()
        }
        return dns
    }

    func key(_ dn: String) -> String { ConnectorSpace.dnKey(dn, role: .source) }
}

/// AD answers a multi-valued attribute with more than MaxValRange (1,500) values in ranges, on every kind of
/// search; each read path must read the rest. Samba 4.17 answers in ranges only when the request names a
/// range (checked with ldapsearch: plain `member` gives all 1,600 values, `member;range=0-1499` gives 1,500
/// under that description), so these tests also ask for the first range: Samba then answers exactly as
/// Windows AD answers a plain request, and an import that did not read the remaining ranges keeps 1,500.
@Suite("Source attributes: large multi-valued attributes arrive whole on every read path (Samba AD DC)")
struct RangedReadPathTests {
    static let asAD = SourceAttributes(text: ["proxyAddresses", "proxyAddresses;range=0-1499"], references: ["member;range=0-1499"])

    @Test func fullImportDirSyncRereadAndMovedContainerReadEveryRange() async throws {
        let source = try await SambaSource.make()
        let members = try await source.addContacts(1_600)
        let addresses = (0..<1_600).map { "smtp:a\($0)@example.com" }
        let scope = try await source.dc.makeOU(prefix: "ranged")
        let outside = try await source.dc.makeOU(prefix: "ranged-out")
        let moving = try await source.dc.addOU("moving", in: outside)
        try await source.dc.addGroup(in: moving, cn: "Big", members: members, attributes: ["proxyAddresses": addresses])

        let connector = try source.connector(containers: [scope], attributes: Self.asAD)
        try await connector.open()
        try await withCleanup { cleanup in
            cleanup.add { await connector.close() }
            let beforeMove = try #require(try await connector.currentWatermark())

            // The moved-container path: the OU moves into scope; DirSync names the OU, not the group in it.
            try await source.dc.move(moving, under: scope)
            let movedDN = "CN=Big,OU=moving,\(scope)"
            let moved = try await deltaUpserts(connector, from: beforeMove).filter { $0.dnKey == source.key(movedDN) }
            #expect(!moved.isEmpty, "the group moved into scope is read")
            for object in moved { expectWhole(object, members: members, addresses: addresses, path: "moved container") }

            // The full import.
            let imported = try #require(try await importedObjects(connector)[source.key(movedDN)])
            expectWhole(imported, members: members, addresses: addresses, path: "full import")

            // The DirSync re-read of a changed object.
            let beforeChange = try #require(try await connector.currentWatermark())
            let added = "smtp:added@example.com"
            try await source.dc.modify(movedDN, [LDAPModification(.add, "proxyAddresses", [LDAPValue(utf8: added)])])
            let changed = try await deltaUpserts(connector, from: beforeChange).filter { $0.dnKey == source.key(movedDN) }
            #expect(changed.count == 1, "the changed group is re-read")
            for object in changed { expectWhole(object, members: members, addresses: addresses + [added], path: "DirSync re-read") }
        }
    }

    private func expectWhole(_ object: ImportedObject, members: [String], addresses: [String], path: String) {
        #expect(object.attributes["member"]?.count == members.count, "\(path): every member, not one range")
        #expect(Set(object.references.filter { $0.attribute == "member" }.map(\.dnKey))
                == Set(members.map { ConnectorSpace.dnKey($0, role: .source) }), "\(path): every member is a reference")
        #expect(Set(object.attributes["proxyAddresses"] ?? []) == Set(addresses), "\(path): every proxyAddresses value")
    }
}
