import Foundation
import SyncStore
@testable import SyncEngine
import Synchronization

/// One entry of a `FakeSource`, as an Active Directory connector would import it: `objectGUID` is the
/// anchor, `member` and `manager` hold DNs.
struct FakeEntry: Sendable {
    var anchor: String
    var dn: String
    var type: ObjectType
    var attributes: AttributeMap

    /// Attributes holding DNs, imported as references.
    static let referenceAttributes = ["member", "manager"]

    var item: ImportItem {
        var attributes = self.attributes
        attributes["objectGUID"] = [anchor]
        attributes["objectClass"] = type == .group ? ["top", "group"] : ["top", "person", "user"]
        let references = Self.referenceAttributes.flatMap { name in
            (attributes[name] ?? []).map { CSReference(attribute: name, dnKey: ConnectorSpace.dnKey($0, role: .source)) }
        }
        return .object(ImportedObject(anchor: anchor, dn: dn, dnKey: ConnectorSpace.dnKey(dn, role: .source),
                                      objectType: type, attributes: attributes, references: references))
    }
}

/// An in-memory directory: a source connector whose full import yields its current entries, which a test
/// edits between runs. No delta import (`currentWatermark` is nil): delta syncs still run after full imports.
final class FakeSource: SourceConnector {
    let name: String
    private let entries = Mutex<[FakeEntry]>([])

    init(name: String = "ad") { self.name = name }

    // MARK: Editing

    /// Adds a user `CN=<cn>,<container>` with the usual AD attributes (over them, `attributes`); returns its DN.
    @discardableResult
    func addUser(_ cn: String, in container: String = FakeDN.staff, _ attributes: AttributeMap = [:]) -> String {
        var all: AttributeMap = [
            "cn": [cn], "sAMAccountName": [cn], "userPrincipalName": ["\(cn)@x.test"], "displayName": ["\(cn) Display"],
            "givenName": [cn], "sn": ["Tester"], "mail": ["\(cn)@x.test"], "userAccountControl": ["512"],
        ]
        all.merge(attributes) { _, given in given }
        return add(FakeEntry(anchor: Self.anchor(cn), dn: "CN=\(cn),\(container)", type: .user, attributes: all))
    }

    /// Adds a group `CN=<cn>,<container>` with these member DNs; returns its DN.
    @discardableResult
    func addGroup(_ cn: String, in container: String = FakeDN.groups, members: [String] = []) -> String {
        var attributes: AttributeMap = ["cn": [cn], "sAMAccountName": [cn]]
        if !members.isEmpty { attributes["member"] = members }
        return add(FakeEntry(anchor: Self.anchor(cn), dn: "CN=\(cn),\(container)", type: .group, attributes: attributes))
    }

    @discardableResult
    func add(_ entry: FakeEntry) -> String {
        entries.withLock { $0.append(entry) }
        return entry.dn
    }

    /// Sets (nil or empty: removes) one attribute of the entry with this DN.
    func set(_ dn: String, _ attribute: String, _ values: [String]?) {
        edit(dn) { $0.attributes[attribute] = values?.isEmpty == false ? values : nil }
    }

    func setMembers(of group: String, _ members: [String]) { set(group, "member", members) }

    /// Moves (or renames) the entry; returns its new DN. Group memberships naming it are left as they are.
    @discardableResult
    func move(_ dn: String, to container: String) -> String {
        let rdn = dn.split(separator: ",", maxSplits: 1)[0]
        let moved = "\(rdn),\(container)"
        edit(dn) { $0.dn = moved }
        return moved
    }

    func addMember(_ member: String, to group: String) {
        edit(group) { $0.attributes["member", default: []].append(member) }
    }

    func removeMember(_ member: String, from group: String) {
        edit(group) { entry in
            let remaining = (entry.attributes["member"] ?? []).filter { $0.caseInsensitiveCompare(member) != .orderedSame }
            entry.attributes["member"] = remaining.isEmpty ? nil : remaining
        }
    }

    /// Deletes the entry (group memberships naming it are left as they are); returns it, to restore it later.
    @discardableResult
    func delete(_ dn: String) -> FakeEntry {
        entries.withLock { entries in
            let index = entries.firstIndex { $0.dn == dn }!
            return entries.remove(at: index)
        }
    }

    func entry(_ dn: String) -> FakeEntry? { entries.withLock { $0.first { $0.dn == dn } } }

    private func edit(_ dn: String, _ change: (inout FakeEntry) -> Void) {
        entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.dn == dn }) else { preconditionFailure("no entry \(dn)") }
            change(&entries[index])
        }
    }

    /// The anchor (objectGUID) of the entry named `cn`, as `addUser` and `addGroup` give it.
    static func anchor(_ cn: String) -> String { "guid-\(cn.lowercased())" }

    // MARK: SourceConnector

    func open() async throws {}
    func close() async {}
    func currentWatermark() async throws -> Data? { nil }

    func fullImport() -> ImportStream {
        let items = entries.withLock { $0.map(\.item) }
        return ImportStream { ListSource(items) }
    }

    func deltaImport(from watermark: Data) -> DeltaStream {
        DeltaStream { NoDelta() }
    }
}

/// Containers of the fake directory.
enum FakeDN {
    static let base = "DC=x,DC=test"
    static let staff = "OU=Staff,DC=x,DC=test"
    static let other = "OU=Other,DC=x,DC=test"
    static let groups = "OU=Groups,DC=x,DC=test"
}

private final class ListSource: ImportSource {
    private var remaining: ArraySlice<ImportItem>
    init(_ items: [ImportItem]) { remaining = items[...] }
    func next() async throws -> ImportItem? { remaining.popFirst() }
}

private final class NoDelta: DeltaSource {
    func next() async throws -> DeltaPage? { throw WatermarkRejected("the fake source has no delta import") }
}
