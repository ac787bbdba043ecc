@testable import LDAP
import Testing

@Suite("Paged search (Samba AD DC)")
struct PagedSearchTests {
    @Test func everyEntryExactlyOnceFetchedLazily() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "paged")
        let count = 1_200
        var created = Set<String>()
        for index in 0..<count {
            let dn = "CN=contact \(index),\(ou)"
            try await connection.add(dn: dn, attributes: ["objectClass": [LDAPValue(utf8: "contact")]])
            created.insert(DistinguishedName.normalized(dn))
        }

        let search = connection.pagedSearch(base: ou, scope: .oneLevel, filter: "(objectClass=contact)",
                                            attributes: ["cn"], pageSize: 100)
        var iterator = search.makeAsyncIterator()
        #expect(iterator.pagesFetched == 0)
        var seen: [String] = []
        // The first page is fetched by the first next(), the second only after its 100 entries are used up.
        for position in 0..<101 {
            let entry = try #require(try await iterator.next())
            seen.append(DistinguishedName.normalized(entry.dn))
            #expect(iterator.pagesFetched == (position < 100 ? 1 : 2), "after \(position + 1) entries")
        }
        while let entry = try await iterator.next() {
            seen.append(DistinguishedName.normalized(entry.dn))
        }
        #expect(seen.count == count)
        #expect(Set(seen).count == count)
        #expect(Set(seen) == created)
        // 12 full pages; a server may add an empty last page.
        #expect((12...13).contains(iterator.pagesFetched), "\(iterator.pagesFetched) pages")
        #expect(try await iterator.next() == nil)

        // Stopping early leaves the connection usable.
        var firstFew = 0
        for try await _ in search {
            firstFew += 1
            if firstFew == 150 { break }
        }
        #expect(firstFew == 150)
        let again = try await connection.search(base: ou, scope: .base, filter: "(objectClass=*)", attributes: ["ou"])
        #expect(again.entries.count == 1)
        await connection.close()
    }

    @Test func emptyResultAndSmallResult() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let ou = try await directory.makeOU(connection, "pagedsmall")
        var none = 0
        for try await _ in connection.pagedSearch(base: ou, scope: .oneLevel, filter: "(objectClass=*)", attributes: []) {
            none += 1
        }
        #expect(none == 0)

        for index in 0..<3 {
            try await connection.add(dn: "CN=c\(index),\(ou)", attributes: ["objectClass": [LDAPValue(utf8: "contact")]])
        }
        var names: [String] = []
        for try await entry in connection.pagedSearch(base: ou, scope: .oneLevel, filter: "(objectClass=contact)",
                                                      attributes: ["cn"], pageSize: 2) {
            names += entry.strings("cn")
        }
        #expect(names.sorted() == ["c0", "c1", "c2"])
        await connection.close()
    }

    @Test func failureOfAPageIsThrownByTheSequence() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let error = try await #require(throws: LDAPError.self) {
            for try await _ in connection.pagedSearch(base: "OU=does-not-exist,\(directory.dc.baseDN)", scope: .subtree,
                                                      filter: "(objectClass=*)", attributes: []) {}
        }
        #expect(error.isNoSuchObject)
        await connection.close()
    }
}
