internal import CLDAP

// Every request other than search: one request, one result that must be success.
extension LDAPHandle {
    func simpleBind(dn: String, password: String) throws {
        // RFC 4513 §5.1.2: a simple bind with a name and an empty password is an *unauthenticated* bind, which
        // many servers (Active Directory among them) answer with success. Checking a password that way would
        // let anyone in, so it is refused here as the wrong password it is.
        guard !password.isEmpty || dn.isEmpty else {
            throw LDAPError.local(LDAP_INVALID_CREDENTIALS,
                                  "empty password: would be an unauthenticated bind (RFC 4513 §5.1.2)",
                                  operation: "bind")
        }
        try perform("bind") { ld, arena, messageID in
            // LDAP_SASL_SIMPLE is a NULL mechanism.
            ldap_sasl_bind(ld, dn, nil, arena.berval(Array(password.utf8)), nil, nil, &messageID)
        }
    }

    func add(dn: String, attributes: [String: [LDAPValue]]) throws {
        // Sorted so the request is the same on every run, which keeps server logs and captures comparable.
        let modifications = attributes.sorted { $0.key < $1.key }.map { LDAPModification(.add, $0.key, $0.value) }
        try perform("add") { ld, arena, messageID in
            ldap_add_ext(ld, dn, arena.modifications(modifications), nil, nil, &messageID)
        }
    }

    func modify(dn: String, _ modifications: [LDAPModification], operation: String = "modify") throws {
        try perform(operation) { ld, arena, messageID in
            ldap_modify_ext(ld, dn, arena.modifications(modifications), nil, nil, &messageID)
        }
    }

    func delete(dn: String) throws {
        try perform("delete") { ld, _, messageID in
            ldap_delete_ext(ld, dn, nil, nil, &messageID)
        }
    }

    func rename(dn: String, newRDN: String, newSuperior: String?, deleteOldRDN: Bool) throws {
        try perform("rename") { ld, arena, messageID in
            ldap_rename(ld, dn, newRDN, newSuperior.map(arena.cString), deleteOldRDN ? 1 : 0, nil, nil, &messageID)
        }
    }

    func passwordModify(userDN: String?, oldPassword: String?, newPassword: String) throws {
        try perform("password modify") { ld, arena, messageID in
            // Absent fields are NULL: no user means the bound identity, no old password an administrative set.
            ldap_passwd(ld, userDN.map { arena.berval(Array($0.utf8)) }, oldPassword.map { arena.berval(Array($0.utf8)) },
                        arena.berval(Array(newPassword.utf8)), nil, nil, &messageID)
        }
    }

    func whoAmI() throws -> String {
        let response = try perform("whoami") { ld, _, messageID in
            ldap_whoami(ld, nil, nil, &messageID)
        }
        // parseResponse read the value with ldap_parse_extended_result; ldap_parse_whoami would do the same but
        // prints to stderr when the server fails the request. An anonymous session has an empty identity.
        return response.extendedValue.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
