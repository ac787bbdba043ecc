import Foundation
import IDSyncTesting

/// The AD data of the walking-skeleton acceptance: 50 users and 5 groups in an OU of the test's own —
/// members, one nested group, a disabled user, a non-ASCII name, a CN with a comma, a manager chain —
/// plus a connector account outside the synced OU.
struct SeededDirectory {
    let dc: SambaDC
    let ou: String
    let users: [String]            // DNs, index i is user i
    let groups: [String: String]   // cn → DN
    let bindUPN: String
    let bindPassword: String

    static let groupNames = ["Engineering", "Sales", "All Staff", "Nested Parent", "Empty"]

    static func make(in dc: SambaDC, users count: Int = 50) async throws -> SeededDirectory {
        let ou = try await dc.makeOU(prefix: "sync")
        let serviceOU = try await dc.makeOU(prefix: "svc")
        let suffix = ou.split(separator: ",")[0].dropFirst(3).replacingOccurrences(of: "sync-", with: "")
        let bindPassword = SambaDC.randomPassword()
        let bindSAM = "adconn-\(suffix)"
        try await dc.addUser(in: serviceOU, cn: "adconn \(suffix)", sam: bindSAM, password: bindPassword)

        var users: [String] = []
        for i in 0..<count {
            let sam = "u\(i)-\(suffix)"
            var cn = "User \(i)"
            var given = "Given\(i)", sn = "Family\(i)"
            if i == 1 { cn = "Müller, Jürgen"; given = "Jürgen"; sn = "Müller" }     // non-ASCII, and a comma in the CN
            if i == 2 { cn = "Łukasz Żółć"; given = "Łukasz"; sn = "Żółć" }
            var attributes: [String: [String]] = [
                "givenName": [given], "sn": [sn], "displayName": [cn],
                "mail": ["\(sam)@example.com"], "title": ["Engineer \(i % 3)"], "department": ["Dept \(i % 4)"],
                "telephoneNumber": ["+1 555 01\(String(format: "%02d", i))"], "employeeID": ["E\(1000 + i)"],
            ]
            if i >= 10 && i < 20 { attributes["manager"] = [users[0]] }   // user 0 manages users 10–19
            let dn = try await dc.addUser(in: ou, cn: cn, sam: sam, upn: "\(sam)@\(dc.upnSuffix)", disabled: i == 3,
                                          attributes: attributes)
            users.append(dn)
        }
        // Smaller directories (the failure tests use a few users) keep the same groups with fewer members.
        func members(_ range: Range<Int>) -> [String] { Array(users[min(range.lowerBound, count)..<min(range.upperBound, count)]) }
        var groups: [String: String] = [:]
        groups["Engineering"] = try await dc.addGroup(in: ou, cn: "Engineering", members: members(0..<10))
        groups["Sales"] = try await dc.addGroup(in: ou, cn: "Sales", members: members(10..<20) + members(1..<2))
        groups["All Staff"] = try await dc.addGroup(in: ou, cn: "All Staff", members: members(20..<30))
        // A nested group: All Staff is a member of Nested Parent.
        groups["Nested Parent"] = try await dc.addGroup(in: ou, cn: "Nested Parent", members: [groups["All Staff"]!] + members(2..<3))
        groups["Empty"] = try await dc.addGroup(in: ou, cn: "Empty")
        return SeededDirectory(dc: dc, ou: ou, users: users, groups: groups, bindUPN: "\(bindSAM)@\(dc.upnSuffix)",
                               bindPassword: bindPassword)
    }

    /// The random part of this directory's OU name, which its account names carry too.
    var suffix: String { ou.split(separator: ",")[0].dropFirst(3).replacingOccurrences(of: "sync-", with: "") }

    func upn(_ index: Int) -> String { "u\(index)-\(suffix)@\(dc.upnSuffix)" }
}

/// The common setup: a seeded OU in the shared DC, a SCIM server of the test's own, and an installation
/// whose connector secrets are files (the walking skeleton's configuration).
struct SyncSetup {
    let dc: SambaDC
    let directory: SeededDirectory
    let scim: SCIMServer
    let install: IDSyncInstallation

    static func make(users: Int) async throws -> SyncSetup {
        let dc = try await SambaDC.shared()
        let directory = try await SeededDirectory.make(in: dc, users: users)
        let scim = try await SCIMServer.start()
        let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                  bindPassword: directory.bindPassword, scim: scim)
        return SyncSetup(dc: dc, directory: directory, scim: scim, install: install)
    }

    func stop() async { try? await scim.stop() }
}
