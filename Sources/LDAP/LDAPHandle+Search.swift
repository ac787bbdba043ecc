internal import CLDAP

extension LDAPHandle {
    /// One search request and every message of its response.
    ///
    /// Messages are read one at a time and copied out as they arrive, so the C copy of the response never
    /// piles up next to the Swift one.
    func search(
        base: String, scope: LDAPScope, filter: String, attributes: [String],
        controls: [LDAPControl], sizeLimit: Int
    ) throws -> LDAPSearchResult {
        let operation = "search"
        let ld = try beginOperation(operation)
        let deadline = ContinuousClock.now + operationTimeout
        let messageID = try start(operation, on: ld) { ld, arena, messageID in
            // Also sent as the request's time limit, so the server gives up when this client does.
            var timeLimit = operationTimeout.cTimeval
            return ldap_search_ext(
                ld, base, scope.libldapValue, filter, arena.stringList(attributes), 0,
                arena.controls(controls), nil, &timeLimit, Int32(clamping: sizeLimit), &messageID)
        }

        var entries: [LDAPEntry] = []
        var referrals: [String] = []
        var responseComplete = false
        do {
            while true {
                try Task.checkCancellation()
                let message = try waitForMessage(messageID, on: ld, all: false, deadline: deadline, operation: operation)
                defer { ldap_msgfree(message) }
                switch messageType(message) {
                case LDAP_RES_SEARCH_ENTRY:
                    entries.append(try entry(message, on: ld))
                case LDAP_RES_SEARCH_REFERENCE:
                    referrals += try references(message, on: ld)
                case LDAP_RES_SEARCH_RESULT:
                    responseComplete = true
                    let response = try parseResponse(message, on: ld, operation: operation)
                    // Asking for at most sizeLimit entries and getting them is what the caller wanted.
                    let truncatedOnRequest = response.code == LDAP_SIZELIMIT_EXCEEDED && sizeLimit > 0
                    guard response.code == LDAP_SUCCESS || truncatedOnRequest else {
                        throw response.error(operation: operation)
                    }
                    return LDAPSearchResult(entries: entries, referrals: referrals + response.referrals,
                                            controls: response.controls)
                default:
                    // Intermediate responses (RFC 4511 §4.13) belong to controls this client does not send.
                    continue
                }
            }
        } catch {
            // Cancelled, timed out or unreadable before the end: the server is to stop sending, and libldap to
            // stop keeping what still arrives. (After a timeout waitForMessage has abandoned it already.)
            if !responseComplete { _ = ldap_abandon_ext(ld, messageID, nil, nil) }
            throw error
        }
    }

    func entry(_ message: OpaquePointer, on ld: OpaquePointer) throws -> LDAPEntry {
        guard let dnPointer = ldap_get_dn(ld, message) else { throw sessionError(operation: "search") }
        defer { ldap_memfree(dnPointer) }
        let dn = String(cString: dnPointer)

        var attributes: [String: [LDAPValue]] = [:]
        var cursor: OpaquePointer?  // BerElement *, the position in the entry's attribute list
        defer { if let cursor { ber_free(cursor, 0) } }  // 0: the buffer belongs to the message
        var name = ldap_first_attribute(ld, message, &cursor)
        while let attribute = name {
            defer {
                ldap_memfree(attribute)
                name = ldap_next_attribute(ld, message, cursor)
            }
            attributes[String(cString: attribute), default: []] += values(of: attribute, in: message, on: ld)
        }
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    private func values(of attribute: UnsafeMutablePointer<CChar>, in message: OpaquePointer,
                        on ld: OpaquePointer) -> [LDAPValue] {
        // NULL for an attribute listed without values (AD's last, empty range of a ranged attribute).
        guard let values = ldap_get_values_len(ld, message, attribute) else { return [] }
        defer { ldap_value_free_len(values) }
        var result: [LDAPValue] = []
        var cursor = values
        while let value = cursor.pointee {
            result.append(bytes(of: value.pointee))
            cursor += 1
        }
        return result
    }

    private func references(_ message: OpaquePointer, on ld: OpaquePointer) throws -> [String] {
        var urls: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let rc = ldap_parse_reference(ld, message, &urls, nil, 0)
        defer { freeStringArray(urls) }
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: "search") }
        return stringArray(urls)
    }
}

extension LDAPScope {
    var libldapValue: Int32 {
        switch self {
        case .base: LDAP_SCOPE_BASE
        case .oneLevel: LDAP_SCOPE_ONELEVEL
        case .subtree: LDAP_SCOPE_SUBTREE
        }
    }
}
