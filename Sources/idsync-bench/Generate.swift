import ArgumentParser
import Foundation

/// N users and N/20 groups with 1–500 members drawn at random (seeded, so every run has the same
/// directory), as LDIF: inetOrgPerson and groupOfNames for slapadd, or — `--flavor active-directory` — AD
/// users and groups in an OU of their own, for ldapadd against a domain controller.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write the benchmark's directory as LDIF.")
    @Option(help: "How many users (groups: a twentieth of it).") var users: Int
    @Option(help: "The naming context.") var base = "dc=example,dc=test"
    @Option(help: "The LDIF file to write.") var out: String
    @Option(help: "Seed of the member draw.") var seed: UInt64 = 42
    @Option(help: "openldap (slapadd) or active-directory (ldapadd, under OU=Bench).") var flavor = "openldap"
    @Option(help: "The UPN suffix of the active-directory flavor's users.") var upnSuffix = "contoso.test"

    func run() throws {
        switch flavor {
        case "openldap": try writeOpenLDAP()
        case "active-directory": try writeActiveDirectory()
        default: throw ValidationError("--flavor must be openldap or active-directory, not \(flavor)")
        }
    }

    /// The attributes user `i` has in both flavors, as LDIF lines.
    func personAttributes(_ i: Int) -> String {
        """
        givenName: Given\(i)
        sn: Family\(i)
        displayName: User \(i)
        mail: u\(i)@example.com
        telephoneNumber: +1 555 \(String(format: "%07d", i))
        title: Engineer \(i % 7)
        """
    }

    /// The members of each group, the same draw for both flavors.
    func memberships() -> [[Int]] {
        var random = SplitMix(seed: seed)
        return (0..<max(1, users / 20)).map { _ in
            let count = min(users, 1 + Int(random.next() % 500))
            var members = Set<Int>()
            while members.count < count { members.insert(Int(random.next() % UInt64(users))) }
            return members.sorted()
        }
    }

    func writeActiveDirectory() throws {
        let ou = "OU=Bench,\(base)"
        var ldif = "dn: \(ou)\nobjectClass: organizationalUnit\nou: Bench\n\n"
        ldif.reserveCapacity(users * 400)
        for i in 0..<users {
            ldif += """
                dn: CN=User \(i),\(ou)
                objectClass: user
                sAMAccountName: b\(i)
                userPrincipalName: u\(i)@\(upnSuffix)
                \(personAttributes(i))
                department: D\(i % 13)
                employeeID: E\(100000 + i)


                """
        }
        for (g, members) in memberships().enumerated() {
            ldif += "dn: CN=g\(g),\(ou)\nobjectClass: group\nsAMAccountName: bg\(g)\n"
            for member in members { ldif += "member: CN=User \(member),\(ou)\n" }
            ldif += "\n"
        }
        try ldif.write(toFile: out, atomically: true, encoding: .utf8)
    }

    func writeOpenLDAP() throws {
        var ldif = ""
        ldif.reserveCapacity(users * 400)
        for i in 0..<users {
            ldif += """
                dn: uid=u\(i),ou=people,\(base)
                objectClass: inetOrgPerson
                uid: u\(i)
                cn: User \(i)
                \(personAttributes(i))
                departmentNumber: D\(i % 13)
                employeeNumber: E\(100000 + i)


                """
        }
        for (g, members) in memberships().enumerated() {
            ldif += "dn: cn=g\(g),ou=groups,\(base)\nobjectClass: groupOfNames\ncn: g\(g)\n"
            for member in members { ldif += "member: uid=u\(member),ou=people,\(base)\n" }
            ldif += "\n"
        }
        try ldif.write(toFile: out, atomically: true, encoding: .utf8)
    }
}

/// A tiny deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
