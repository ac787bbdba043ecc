import Foundation
import GRDB

/// Which OAuth 2.0 client idsync registered for a connector, and where to manage it (RFC 7592). Not
/// secret, so kept outside the vault: after the key is abandoned, idsync still knows which client to retire.
public struct ClientRegistrationRecord: Sendable, Equatable {
    public var connector: String
    public var clientID: String
    public var registrationClientURI: String?
    public var issuer: String?
    public var registered: Date

    public init(connector: String, clientID: String, registrationClientURI: String?, issuer: String?, registered: Date = Date()) {
        self.connector = connector; self.clientID = clientID; self.registrationClientURI = registrationClientURI
        self.issuer = issuer; self.registered = registered
    }
}

extension SQLiteStore {
    public func clientRegistration(connector: String) throws -> ClientRegistrationRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM client_registrations WHERE connector = ?", arguments: [connector]).map {
                ClientRegistrationRecord(connector: $0["connector"], clientID: $0["client_id"],
                                         registrationClientURI: $0["registration_client_uri"], issuer: $0["issuer"],
                                         registered: $0["registered"])
            }
        }
    }

    public func setClientRegistration(_ record: ClientRegistrationRecord) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO client_registrations (connector, client_id, registration_client_uri, issuer, registered)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(connector) DO UPDATE SET client_id = excluded.client_id,
                    registration_client_uri = excluded.registration_client_uri, issuer = excluded.issuer,
                    registered = excluded.registered
                """, arguments: [record.connector, record.clientID, record.registrationClientURI, record.issuer, record.registered])
        }
    }
}
