/// The built-in rules, written in the rules file format (docs/rules.md) so that `idsync rules show`
/// prints them and an admin can start a rules file from them. They mirror Entra Connect's out-of-box
/// "In from AD – User/Group" and "Out to AAD – User/Group" rules, reduced to what SCIM carries.
public enum DefaultRules {
    /// Inbound rules for an Active Directory connector (`CONNECTOR` is replaced by its name).
    public static let activeDirectory = """
        inbound:
          - name: In from AD - User
            connector: CONNECTOR
            object_type: user
            precedence: 100
            projection: true
            flows:
              sourceAnchor: objectGUID
              userPrincipalName: userPrincipalName
              accountName: sAMAccountName
              cn: cn
              givenName: givenName
              sn: sn
              displayName: coalesce(displayName, cn)
              mail: mail
              telephoneNumber: telephoneNumber
              department: department
              jobTitle: title
              employeeID: employeeID
              accountEnabled: bit_clear(userAccountControl, 2)
              manager: ref(manager)
          - name: In from AD - Group
            connector: CONNECTOR
            object_type: group
            precedence: 100
            projection: true
            flows:
              sourceAnchor: objectGUID
              accountName: sAMAccountName
              cn: cn
              displayName: coalesce(displayName, cn, sAMAccountName)
              mail: mail
              member: ref(member)

        """

    /// Inbound rules for an OpenLDAP connector (inetOrgPerson users, groupOfNames groups; entryUUID anchor).
    public static let openLDAP = """
        inbound:
          - name: In from LDAP - User
            connector: CONNECTOR
            object_type: user
            precedence: 100
            projection: true
            flows:
              sourceAnchor: entryUUID
              userPrincipalName: coalesce(mail, uid)
              accountName: uid
              cn: cn
              givenName: givenName
              sn: sn
              displayName: coalesce(displayName, cn)
              mail: mail
              telephoneNumber: telephoneNumber
              department: coalesce(departmentNumber, ou)
              jobTitle: title
              employeeID: employeeNumber
              accountEnabled: "'true'"
              manager: ref(manager)
          - name: In from LDAP - Group
            connector: CONNECTOR
            object_type: group
            precedence: 100
            projection: true
            flows:
              sourceAnchor: entryUUID
              cn: cn
              displayName: coalesce(displayName, cn)
              member: ref(member)

        """

    /// Outbound rules to a SCIM 2.0 service.
    public static let scim = """
        outbound:
          - name: Out to SCIM - User
            object_type: user
            flows:
              externalId: sourceAnchor
              userName: userPrincipalName
              displayName: displayName
              name.givenName: givenName
              name.familyName: sn
              name.formatted: coalesce(displayName, concat(givenName, ' ', sn))
              emails: mail
              phoneNumbers: telephoneNumber
              title: jobTitle
              active: coalesce(accountEnabled, 'true')
              enterprise.department: department
              enterprise.employeeNumber: employeeID
              enterprise.manager: manager
          - name: Out to SCIM - Group
            object_type: group
            flows:
              externalId: sourceAnchor
              displayName: displayName
              members: member

        """
}
