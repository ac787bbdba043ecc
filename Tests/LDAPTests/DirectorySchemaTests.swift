import Foundation
#if canImport(IDSyncTesting)
import IDSyncTesting  // SambaDC and OpenLDAPServer in the main package; the scratch package has stand-ins
#endif
import LDAP
import Testing

/// RFC 4512 attribute type descriptions as the test servers serve them (Samba 4.17's Aggregate entry,
/// Debian 12's slapd cn=Subschema), copied from their ldapsearch output.
@Suite("Directory schema: parsing attribute type descriptions (no server)")
struct DirectorySchemaParsingTests {
    static let samba = [
        "( 1.2.840.113556.1.4.2214 NAME 'msDS-cloudExtensionAttribute1' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' SINGLE-VALUE )",
        "( 1.2.840.113556.1.4.146 NAME 'objectSid' SYNTAX '1.3.6.1.4.1.1466.115.121.1.40' SINGLE-VALUE NO-USER-MODIFICATION )",
        "( 1.2.840.113556.1.2.210 NAME 'proxyAddresses' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' )",
        "( 2.5.4.31 NAME 'member' SYNTAX '1.3.6.1.4.1.1466.115.121.1.12' )",
        "( 1.2.840.113556.1.2.281 NAME 'nTSecurityDescriptor' SYNTAX '1.2.840.113556.1.4.907' SINGLE-VALUE )",
    ]
    static let openLDAP = [
        "( 2.5.4.41 NAME 'name' DESC 'RFC4519: common supertype of name attributes' EQUALITY caseIgnoreMatch "
            + "SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{32768} )",
        "( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s) for which the entity is known by' SUP name )",
        "( 1.3.6.1.1.16.4 NAME 'entryUUID' DESC 'UUID of the entry' EQUALITY UUIDMatch ORDERING UUIDOrderingMatch "
            + "SYNTAX 1.3.6.1.1.16.1 SINGLE-VALUE NO-USER-MODIFICATION USAGE directoryOperation )",
        "( 0.9.2342.19200300.100.1.60 NAME 'jpegPhoto' DESC 'RFC2798: a JPEG image' SYNTAX 1.3.6.1.4.1.1466.115.121.1.28 )",
        "( 1.3.6.1.4.1.4203.1.12.2.3.0.1 NAME 'olcAccess' DESC 'Access Control List' EQUALITY caseIgnoreMatch "
            + "SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 X-ORDERED 'VALUES' )",
    ]

    @Test func sambaDescriptionsWithQuotedOIDs() throws {
        let schema = try DirectorySchema(descriptions: Self.samba)
        let custom = try #require(schema.attributeType("msds-CLOUDextensionattribute1"), "names ignore case")
        #expect(custom.oid == "1.2.840.113556.1.4.2214" && custom.names == ["msDS-cloudExtensionAttribute1"])
        #expect(custom.syntax == "1.3.6.1.4.1.1466.115.121.1.15", "quotes around the OID removed")
        #expect(custom.isSingleValued && custom.supertype == nil)
        #expect(schema.isSingleValued("proxyAddresses") == false)
        #expect(schema.isBinary("objectSid") == true && schema.isBinary("nTSecurityDescriptor") == true)
        #expect(schema.isBinary("member") == false && schema.isBinary("proxyAddresses") == false)
        #expect(schema.hasAttribute("member;range=0-1499"), "options are not part of the name")
        #expect(schema.hasAttribute("1.2.840.113556.1.4.146"), "an OID names its attribute")
        #expect(!schema.hasAttribute("extensionAttribute1"))
        #expect(schema.isSingleValued("extensionAttribute1") == nil && schema.isBinary("extensionAttribute1") == nil)
    }

    @Test func openLDAPDescriptionsWithAliasesAndInheritedSyntax() throws {
        let schema = try DirectorySchema(descriptions: Self.openLDAP)
        let cn = try #require(schema.attributeType("commonName"))
        #expect(cn.names == ["cn", "commonName"] && cn.supertype == "name" && cn.syntax == nil)
        #expect(schema.syntax(of: "cn") == "1.3.6.1.4.1.1466.115.121.1.15", "inherited from name, without its {32768} bound")
        #expect(schema.isBinary("cn") == false && schema.isSingleValued("cn") == false)
        #expect(schema.isBinary("jpegPhoto") == true)
        #expect(schema.isSingleValued("entryUUID") == true)
        #expect(schema.hasAttribute("OLCACCESS"), "an X- extension after the syntax is skipped")
    }

    @Test func escapesInQuotedStringsAreUndone() throws {
        let type = try DirectorySchema.AttributeType(
            description: #"( 1.1.1 NAME 'odd-Name' DESC 'it\27s a back\5Cslash' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )"#)
        #expect(type.names == ["odd-Name"] && type.syntax == "1.3.6.1.4.1.1466.115.121.1.15")
    }

    @Test func aSupertypeCycleEndsWithoutASyntax() throws {
        let schema = try DirectorySchema(descriptions: ["( 1.1 NAME 'a' SUP b )", "( 1.2 NAME 'b' SUP a )"])
        #expect(schema.syntax(of: "a") == nil && schema.isBinary("a") == nil)
    }

    @Test(arguments: [
        "2.5.4.3 NAME 'cn' )",                                // no opening parenthesis
        "( NAME 'cn' )",                                      // no OID: NAME is taken as one, then 'cn' lacks a value
        "( 2.5.4.3 NAME 'cn )",                               // unterminated quote
        "( 2.5.4.3 NAME ( 'cn' 'commonName' SUP name )",      // unclosed NAME list swallows the rest
        "( 2.5.4.3 NAME )",                                   // keyword without a value
        "( 2.5.4.3 NAME 'cn' SYNTAX",                         // no closing parenthesis
        "( 2.5.4.3 NAME 'cn' ) trailing",
        "( 2.5.4.3 DESC 'bad \\zz escape' )",
    ])
    func malformedDescriptionsAreRefused(_ text: String) {
        let error = #expect(throws: DirectorySchema.InvalidDescription.self) { try DirectorySchema.AttributeType(description: text) }
        #expect(error?.description.contains(text) == true, "the message quotes the description")
    }
}

@Suite("Directory schema: read from the real servers (Samba AD DC, OpenLDAP)")
struct DirectorySchemaServerTests {
    @Test func sambaServesTheAggregateSchema() async throws {
        let directory = try await TestDirectory.samba()
        let connection = try await directory.adminConnection()
        let schema = try await connection.readSchema()
        await connection.close()

        #expect(schema.attributeTypes.count > 1000, "Samba 4.17 defines about 1,470 attribute types")
        #expect(schema.isSingleValued("msDS-cloudExtensionAttribute1") == true)
        #expect(schema.hasAttribute("employeeType"))
        #expect(schema.isSingleValued("proxyAddresses") == false)
        #expect(schema.isBinary("objectSid") == true && schema.isBinary("objectGUID") == true)
        #expect(schema.isBinary("thumbnailPhoto") == true && schema.isBinary("displayName") == false)
        #expect(!schema.hasAttribute("extensionAttribute1"), "Exchange's attributes come only with its schema extension")
    }

    @Test func openLDAPServesCnSubschema() async throws {
        try await OpenLDAPServer.withServer { server in
            let connection = try await server.admin()
            let schema = try await connection.readSchema()
            await connection.close()

            #expect(schema.hasAttribute("employeeType") && schema.isSingleValued("employeeType") == false)
            #expect(schema.attributeType("commonName")?.names == ["cn", "commonName"])
            #expect(schema.isBinary("cn") == false, "cn's syntax comes from its supertype name")
            #expect(schema.isBinary("jpegPhoto") == true && schema.isBinary("userPassword") == true)
            #expect(schema.isSingleValued("entryUUID") == true)
            #expect(!schema.hasAttribute("msDS-cloudExtensionAttribute1"))
        }
    }
}
