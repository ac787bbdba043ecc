/// A connection to one LDAP server: Active Directory, Samba or OpenLDAP.
///
/// Every method may be called from any task. Calls on one connection run one after the other (libldap
/// sessions are not safe for concurrent use) on the connection's own queue, never on Swift's cooperative
/// threads; open several connections to run requests in parallel.
public final class LDAPConnection: Sendable {
    public let options: LDAPConnectionOptions
    let handle: LDAPHandle

    private init(options: LDAPConnectionOptions, handle: LDAPHandle) {
        self.options = options
        self.handle = handle
    }

    /// Initializes a session (LDAPv3, referrals not chased, this connection's own TLS settings) and connects
    /// at once, with StartTLS if asked, so an unreachable server or an untrusted certificate is reported here.
    public static func connect(_ options: LDAPConnectionOptions) async throws -> LDAPConnection {
        let handle = LDAPHandle(options: options)
        try await handle.open(options)
        return LDAPConnection(options: options, handle: handle)
    }

    /// A simple bind (RFC 4513 §5.1.3). Active Directory accepts a DN, a userPrincipalName or `DOMAIN\user`
    /// as `dn`. A non-empty `dn` with an empty password is refused locally (see ``LDAPError/isInvalidCredentials``).
    public func simpleBind(dn: String, password: String) async throws {
        try await handle.simpleBind(dn: dn, password: password)
    }

    /// One search request and all of its results: for small and base searches, and for control-driven
    /// paging such as DirSync where the caller handles the cookie. `attributes` empty asks for all user
    /// attributes; `["1.1"]` for none. With a `sizeLimit`, hitting it returns the entries found so far.
    public func search(
        base: String, scope: LDAPScope, filter: String, attributes: [String],
        controls: [LDAPControl] = [], sizeLimit: Int = 0
    ) async throws -> LDAPSearchResult {
        try await handle.search(base: base, scope: scope, filter: filter, attributes: attributes,
                                controls: controls, sizeLimit: sizeLimit)
    }

    /// A simple-paged-results search (RFC 2696) as a sequence of entries. Each page is requested when the
    /// previous one has been consumed, so a directory of any size streams in bounded memory.
    public func pagedSearch(
        base: String, scope: LDAPScope, filter: String, attributes: [String],
        pageSize: Int = 500, controls: [LDAPControl] = []
    ) -> LDAPPagedSearch {
        LDAPPagedSearch(connection: self, base: base, scope: scope, filter: filter, attributes: attributes,
                        pageSize: pageSize, controls: controls)
    }

    /// Adds an entry. Attribute order does not matter to LDAP; `objectClass` must be among them.
    public func add(dn: String, attributes: [String: [LDAPValue]]) async throws {
        try await handle.add(dn: dn, attributes: attributes)
    }

    /// Applies all modifications atomically, in order (RFC 4511 §4.6).
    public func modify(dn: String, _ modifications: [LDAPModification]) async throws {
        try await handle.modify(dn: dn, modifications)
    }

    public func delete(dn: String) async throws {
        try await handle.delete(dn: dn)
    }

    /// Modify DN (RFC 4511 §4.9): renames the entry to `newRDN` (e.g. `CN=New Name`, escaped) and, with
    /// `newSuperior`, moves it under that parent.
    public func rename(dn: String, newRDN: String, newSuperior: String?, deleteOldRDN: Bool = true) async throws {
        try await handle.rename(dn: dn, newRDN: newRDN, newSuperior: newSuperior, deleteOldRDN: deleteOldRDN)
    }

    /// The bound identity according to the server (RFC 4532): `dn:…` or `u:DOMAIN\user`; empty if anonymous.
    /// Active Directory implements it; Samba does not and answers protocolError (2).
    public func whoAmI() async throws -> String {
        try await handle.whoAmI()
    }

    /// Sends an unbind and releases the session. Idempotent; later calls fail with a server-down error.
    /// A connection that is dropped without `close()` is closed when its last reference goes.
    public func close() async {
        await handle.close()
    }

    /// Runs `body`, then closes the connection on every path (an async close cannot go in a `defer`).
    public func closing<Result>(_ body: (LDAPConnection) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            await close()
            return result
        } catch {
            await close()
            throw error
        }
    }
}
