import Foundation
import IDSyncTesting
import LDAP

/// Samba AD into two applications: target A ("cloud", a plain scim2-server) gets every user and group with
/// the built-in mapping; target B ("app-b", a scim2-server serving a custom extension schema) gets only the
/// transitive members of "Nested Parent", with userName ← mail, userType ← employeeType and
/// msDS-cloudExtensionAttribute1 into its extension.
struct TwoTargets {
    static let extensionURN = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"

    let dc: SambaDC
    let directory: SeededDirectory
    let a: SCIMServer
    let b: SCIMServer
    let install: IDSyncInstallation

    /// 24 users: "All Staff" holds users 20–23 and is nested in "Nested Parent" with user 2, so B's scope is
    /// users 2 and 20–23.
    static func make(deprovision: String = "delete", bTimeout: String = "30s", rules extraRules: String = "") async throws -> TwoTargets {
        let dc = try await SambaDC.shared()
        let directory = try await SeededDirectory.make(in: dc, users: 24)
        let a = try await SCIMServer.start()
        let b = try await SCIMServer.start(customExtension: true)
        let install = try IDSyncInstallation.make(dc: dc, containers: [directory.ou], bindUPN: directory.bindUPN,
                                                  bindPassword: directory.bindPassword, scim: a)
        try install.directory.write("b.token", b.token + "\n")
        let rules = try install.directory.write("rules.yaml", Self.rules(scope: directory.groups["Nested Parent"]!) + extraRules)
        try install.writeConfig(try install.config() + """

              - name: app-b
                type: scim
                url: \(b.url)
                auth: { type: bearer, token_file: b.token }
                timeout: \(bTimeout)
                deprovision: \(deprovision)
            sync:
              rules: \(rules)

            """)
        return TwoTargets(dc: dc, directory: directory, a: a, b: b, install: install)
    }

    func stop() async {
        try? await a.stop()
        try? await b.stop()
    }

    /// AD's built-in inbound rules plus the attributes B needs; A's built-in outbound mapping; B's own.
    static func rules(scope: String) -> String {
        """
        inbound:
          - name: In from AD - User
            connector: contoso.test
            object_type: user
            flows:
              sourceAnchor: objectGUID
              userPrincipalName: userPrincipalName
              givenName: givenName
              sn: sn
              displayName: coalesce(displayName, cn)
              mail: mail
              jobTitle: title
              employeeID: employeeID
              employeeType: employeeType
              cloudExtension1: msDS-cloudExtensionAttribute1
              accountEnabled: bit_clear(userAccountControl, 2)
              manager: ref(manager)
          - name: In from AD - Group
            connector: contoso.test
            object_type: group
            flows:
              sourceAnchor: objectGUID
              displayName: coalesce(displayName, cn, sAMAccountName)
              member: ref(member)
        outbound:
          - name: Out to A - User
            connector: cloud
            object_type: user
            flows:
              externalId: sourceAnchor
              userName: userPrincipalName
              displayName: displayName
              name.givenName: givenName
              name.familyName: sn
              title: jobTitle
              active: coalesce(accountEnabled, 'true')
              enterprise.employeeNumber: employeeID
              enterprise.manager: manager
          - name: Out to A - Group
            connector: cloud
            object_type: group
            flows: { externalId: sourceAnchor, displayName: displayName, members: member }
          - name: Out to B - User
            connector: app-b
            object_type: user
            scope: { member_of: ["\(scope)"] }
            flows:
              externalId: sourceAnchor
              userName: mail
              displayName: displayName
              userType: employeeType
              active: coalesce(accountEnabled, 'true')
              "\(extensionURN):cloudAttribute1": cloudExtension1
          - name: Out to B - Group
            connector: app-b
            object_type: group
            scope: { member_of: ["\(scope)"] }
            flows: { externalId: sourceAnchor, displayName: displayName, members: member }

        """
    }

    /// The mail of user `index`, B's userName for it.
    func mail(_ index: Int) -> String { "u\(index)-\(directory.suffix)@example.com" }

    func userNames(_ server: SCIMServer) async throws -> [String] {
        try await server.users().compactMap { $0.string("userName") }.sorted()
    }

    /// Members of the group named `displayName` in `server`: users by userName, groups as "group:NAME", and
    /// ids the server holds nothing for as "unknown:ID".
    func members(of displayName: String, in server: SCIMServer) async throws -> [String] {
        let users = try await server.users()
        let groups = try await server.groups()
        var names = Dictionary(uniqueKeysWithValues: users.compactMap { user in
            user.string("id").map { ($0, user.string("userName") ?? $0) }
        })
        for group in groups { if let id = group.string("id") { names[id] = "group:\(group.string("displayName") ?? id)" } }
        guard let group = groups.first(where: { $0.string("displayName") == displayName }) else { return [] }
        return group.objects("members").compactMap { $0["value"] as? String }.map { names[$0] ?? "unknown:\($0)" }.sorted()
    }

    func addMember(_ user: Int, to group: String) async throws {
        try await dc.modify(directory.groups[group]!, [LDAPModification(.add, "member", [LDAPValue(utf8: directory.users[user])])])
    }

    func removeMember(_ user: Int, from group: String) async throws {
        try await dc.modify(directory.groups[group]!, [LDAPModification(.delete, "member", [LDAPValue(utf8: directory.users[user])])])
    }
}
