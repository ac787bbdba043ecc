internal import CLDAP

/// The final response to a request, as `ldap_parse_result` reads it.
struct LDAPResponse {
    var code: Int32
    var diagnostic: String?
    var referrals: [String]
    var controls: [LDAPControl]
    /// The responseValue of an extended response (RFC 4511 §4.12), e.g. WhoAmI's authorization identity.
    var extendedValue: [UInt8]?

    func error(operation: String) -> LDAPError {
        var diagnostic = diagnostic ?? ""
        if diagnostic.isEmpty, !referrals.isEmpty {
            diagnostic = "referred to " + referrals.joined(separator: " ")
        }
        return LDAPError(code: code, diagnostic: diagnostic, operation: operation)
    }
}

extension LDAPHandle {
    /// Sends one request with `send` and waits for its final response, which must be success.
    ///
    /// `send` gets the session, an arena for the C copies of its arguments (libldap has encoded the request
    /// by the time `send` returns, so they may go then) and the message ID to fill in.
    @discardableResult
    func perform(
        _ operation: String,
        send: (OpaquePointer, CArena, inout Int32) -> Int32
    ) throws -> LDAPResponse {
        let ld = try beginOperation(operation)
        let deadline = ContinuousClock.now + operationTimeout
        let messageID = try start(operation, on: ld, send: send)
        let message = try waitForMessage(messageID, on: ld, all: true, deadline: deadline, operation: operation)
        defer { ldap_msgfree(message) }
        let response = try parseResponse(message, on: ld, operation: operation)
        guard response.code == LDAP_SUCCESS else { throw response.error(operation: operation) }
        return response
    }

    func start(_ operation: String, on ld: OpaquePointer, send: (OpaquePointer, CArena, inout Int32) -> Int32) throws -> Int32 {
        var messageID: Int32 = -1
        let rc = send(ld, CArena(), &messageID)
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: operation) }
        return messageID
    }

    /// The next message for request `messageID` (with `all`, the whole response chain). The caller frees it
    /// with `ldap_msgfree`.
    ///
    /// When the deadline passes the request is abandoned, so the server stops working on it and a late answer
    /// is not queued in the session forever.
    func waitForMessage(
        _ messageID: Int32, on ld: OpaquePointer, all: Bool, deadline: ContinuousClock.Instant, operation: String
    ) throws -> OpaquePointer {
        var remaining = (deadline - .now).cTimeval
        var message: OpaquePointer?
        let rc = ldap_result(ld, messageID, all ? LDAP_MSG_ALL : LDAP_MSG_ONE, &remaining, &message)
        if rc == 0 {
            _ = ldap_abandon_ext(ld, messageID, nil, nil)
            throw LDAPError.local(LDAP_TIMEOUT, "no response within \(operationTimeout)", operation: operation)
        }
        guard rc > 0, let message else { throw sessionError(operation: operation) }
        return message
    }

    /// Reads a result message (LDAPResult, RFC 4511 §4.1.9) without freeing it.
    func parseResponse(_ message: OpaquePointer, on ld: OpaquePointer, operation: String) throws -> LDAPResponse {
        var code: Int32 = LDAP_OTHER
        var matchedDN: UnsafeMutablePointer<CChar>?
        var diagnostic: UnsafeMutablePointer<CChar>?
        var referrals: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>?
        let rc = ldap_parse_result(ld, message, &code, &matchedDN, &diagnostic, &referrals, &controls, 0)
        defer {
            ldap_memfree(matchedDN)
            ldap_memfree(diagnostic)
            freeStringArray(referrals)
            ldap_controls_free(controls)
        }
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: operation) }

        var response = LDAPResponse(
            code: code,
            diagnostic: diagnostic.map { String(cString: $0) },
            referrals: stringArray(referrals),
            controls: swiftControls(controls),
            extendedValue: nil
        )
        if messageType(message) == LDAP_RES_EXTENDED {
            response.extendedValue = try parseExtendedValue(message, on: ld, operation: operation)
        }
        return response
    }

    private func parseExtendedValue(_ message: OpaquePointer, on ld: OpaquePointer, operation: String) throws -> [UInt8]? {
        var responseName: UnsafeMutablePointer<CChar>?
        var value: UnsafeMutablePointer<berval>?
        let rc = ldap_parse_extended_result(ld, message, &responseName, &value, 0)
        defer {
            ldap_memfree(responseName)
            ber_bvfree(value)
        }
        guard rc == LDAP_SUCCESS else { throw sessionError(rc, operation: operation) }
        return value.map { bytes(of: $0.pointee) }
    }
}
