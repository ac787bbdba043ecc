import SyncStore

/// The sync rules: how source objects flow into the metaverse (inbound) and how metaverse objects flow
/// into the target (outbound). Target attribute names are the SCIM connector's (see `SCIMMapping`).
public struct RuleSet: Sendable {
    public var inbound: FlowSet
    public var outbound: FlowSet

    /// Mirrors Entra Connect's out-of-box rules: "In from AD – User/Group Common" and "Out to AAD –
    /// User/Group Identity", reduced to the attributes SCIM carries. The source anchor is objectGUID.
    public static let activeDirectoryToSCIM = RuleSet(
        inbound: FlowSet(flows: [
            .user: [
                AttributeFlow("sourceAnchor", .attribute("objectGUID")),
                AttributeFlow("userPrincipalName", .attribute("userPrincipalName")),
                AttributeFlow("accountName", .attribute("sAMAccountName")),
                AttributeFlow("cn", .attribute("cn")),
                AttributeFlow("givenName", .attribute("givenName")),
                AttributeFlow("sn", .attribute("sn")),
                AttributeFlow("displayName", .coalesce([.attribute("displayName"), .attribute("cn")])),
                AttributeFlow("mail", .attribute("mail")),
                AttributeFlow("telephoneNumber", .attribute("telephoneNumber")),
                AttributeFlow("department", .attribute("department")),
                AttributeFlow("jobTitle", .attribute("title")),
                AttributeFlow("employeeID", .attribute("employeeID")),
                AttributeFlow("accountEnabled", .bitsClear("userAccountControl", mask: 0x2)),
                AttributeFlow("manager", .reference("manager")),
            ],
            .group: [
                AttributeFlow("sourceAnchor", .attribute("objectGUID")),
                AttributeFlow("accountName", .attribute("sAMAccountName")),
                AttributeFlow("cn", .attribute("cn")),
                AttributeFlow("displayName", .coalesce([.attribute("displayName"), .attribute("cn"), .attribute("sAMAccountName")])),
                AttributeFlow("mail", .attribute("mail")),
                AttributeFlow("member", .reference("member")),
            ],
        ]),
        outbound: FlowSet(flows: [
            .user: [
                AttributeFlow("externalId", .attribute("sourceAnchor")),
                AttributeFlow("userName", .attribute("userPrincipalName")),
                AttributeFlow("displayName", .attribute("displayName")),
                AttributeFlow("name.givenName", .attribute("givenName")),
                AttributeFlow("name.familyName", .attribute("sn")),
                AttributeFlow("name.formatted", .coalesce([.attribute("displayName"),
                                                           .concat([.attribute("givenName"), .attribute("sn")], separator: " ")])),
                AttributeFlow("emails", .attribute("mail")),
                AttributeFlow("phoneNumbers", .attribute("telephoneNumber")),
                AttributeFlow("title", .attribute("jobTitle")),
                AttributeFlow("active", .coalesce([.attribute("accountEnabled"), .constant("true")])),
                AttributeFlow("enterprise.department", .attribute("department")),
                AttributeFlow("enterprise.employeeNumber", .attribute("employeeID")),
                AttributeFlow("enterprise.manager", .attribute("manager")),
            ],
            .group: [
                AttributeFlow("externalId", .attribute("sourceAnchor")),
                AttributeFlow("displayName", .attribute("displayName")),
                AttributeFlow("members", .attribute("member")),
            ],
        ])
    )
}
