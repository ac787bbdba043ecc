import Testing
@testable import SCIM

@Suite("SCIM attribute paths")
struct SCIMPathTests {
    static let contoso = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"

    @Test("canonical keys", arguments: [
        ("userName", "userName"),
        ("  nickName ", "nickName"),
        ("USERTYPE", "userType"),
        ("name.MiddleName", "name.middleName"),
        ("enterprise.department", "enterprise.department"),
        ("Enterprise.CostCenter", "enterprise.costCenter"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "enterprise.department"),
        ("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:division", "enterprise.division"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "enterprise.manager"),
        ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", "name.givenName"),
        ("urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "displayName"),
        ("emails", "emails"),
        ("emails.value", "emails"),
        ("emails[type eq \"work\"].value", "emails[type eq \"work\"].value"),
        ("Emails[ TYPE  EQ \"work\" ].Primary", "emails[type eq \"work\"].primary"),
        ("phoneNumbers[type eq \"mobile\"].value", "phoneNumbers[type eq \"mobile\"].value"),
        ("addresses[type eq \"work\"].streetAddress", "addresses[type eq \"work\"].streetAddress"),
        ("emails[primary eq TRUE].value", "emails[primary eq true].value"),
        ("emails[type eq \"a\\\"b\"].value", "emails[type eq \"a\\\"b\"].value"),
        ("roles", "roles"),
        ("members.$ref", "members.$ref"),
        ("\(contoso):cloudAttribute1", "\(contoso):cloudAttribute1"),
        ("\(contoso):things[kind eq \"x:y\"].label", "\(contoso):things[kind eq \"x:y\"].label"),
    ])
    func canonical(_ written: String, _ expected: String) throws {
        #expect(try SCIMPath.canonical(written) == expected)
        // Canonical text is a fixed point.
        #expect(try SCIMPath.canonical(expected) == expected)
    }

    @Test func parts() throws {
        let path = try SCIMPath(parsing: "\(Self.contoso):things[kind eq \"x:y\"].label")
        #expect(path.schema == Self.contoso)
        #expect(path.attribute == "things")
        #expect(path.filter == SCIMPath.ValueFilter(attribute: "kind", value: "x:y"))
        #expect(path.subAttribute == "label")
        #expect(path.patchPath == "\(Self.contoso):things[kind eq \"x:y\"].label")
        #expect(path.elementsPatchPath == "\(Self.contoso):things[kind eq \"x:y\"]")
        #expect(path.attributePatchPath == "\(Self.contoso):things")
        #expect(try SCIMPath(parsing: "enterprise.department").patchPath == SCIMSchema.enterpriseUser + ":department")
    }

    @Test("malformed paths are refused with a reason", arguments: [
        ("", "empty"),
        ("name", "complex"),
        ("name.givenName.x", "nest"),
        ("emails[type eq \"work\"]", "name the sub-attribute"),
        ("emails[type co \"work\"].value", "only \"eq\""),
        ("emails[type eq \"work\" and primary eq true].value", "one sub-attribute"),
        ("emails[type eq work].value", "double quotes"),
        ("emails[type eq \"work.value", "closing quote"),
        ("emails[type eq \"work\".value", "one sub-attribute"),
        ("emails[type eq \"work\"].type", "sets type already"),
        ("displayName[type eq \"x\"].value", "single-valued"),
        ("name.givenName[type eq \"x\"]", "comes before"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "not one of its attributes"),
        ("urn:ietf:params:scim:schemas:extension:contoso:2.0:User:", "not one of its attributes"),
        ("urn::x:User:a", "not a schema URN"),
        ("id", "service provider"),
        ("meta.created", "service provider"),
        ("schemas", "service provider"),
        ("1abc", "attribute name"),
        ("user name", "unexpected"),
        ("name.", "sub-attribute name"),
    ])
    func malformed(_ written: String, _ reasonPart: String) {
        #expect {
            try SCIMPath.canonical(written)
        } throws: { error in
            guard let error = error as? SCIMPathError else { return false }
            return error.path == written && error.reason.contains(reasonPart)
        }
    }

    @Test func filtersMatchElements() throws {
        let work = try #require(try SCIMPath(parsing: "emails[type eq \"work\"].value").filter)
        #expect(work.matches(["type": "Work", "value": "a"]), "type is caseExact false")
        #expect(!work.matches(["type": "home", "value": "a"]))
        #expect(!work.matches(["value": "a"]))
        let primary = try #require(try SCIMPath(parsing: "emails[primary eq true].value").filter)
        #expect(primary.matches(["primary": true]))
        #expect(!primary.matches(["primary": "true"]))
    }
}
