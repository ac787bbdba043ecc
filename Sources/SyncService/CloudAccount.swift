import Foundation
import Logging
import SCIM
import SyncConfiguration
import SyncEngine
import SyncStore
import Vault

/// `Add-ADSyncAADServiceAccount`, over open standards: with a tenant admin's credential (an RFC 7591
/// initial access token), register a new OAuth 2.0 client for the sync service, store its secret in the
/// vault, and retire the previous client (RFC 7592 DELETE). The admin never sees or types the client's
/// secret, and the admin's credential is never stored.
public struct CloudAccount {
    let config: IDSyncConfig
    let connector: String
    let settings: SCIMConnectorConfig.OAuth2Settings
    let scimURL: String
    let store: any IDSyncStore
    let access: KeyAccess

    public init(config: IDSyncConfig, connector name: String, store: any IDSyncStore, access: KeyAccess) throws {
        guard let connector = config.connector(named: name), case .scim(let scim) = connector.kind else {
            throw ServiceError("no scim connector named \"\(name)\" in \(config.file)")
        }
        guard case .oauth2ClientCredentials(let settings) = scim.auth else {
            throw ServiceError("connector \(name) authenticates with a bearer token, not an OAuth 2.0 client")
        }
        self.config = config
        self.connector = name
        self.settings = settings
        self.scimURL = scim.url
        self.store = store
        self.access = access
    }

    public struct Outcome: Sendable {
        public let newClient: String
        public let issuer: String?
        public let previousClient: String?
        /// Whether the previous client's registration was deleted; nil when there was none.
        public let previousRetired: Bool?
        public let retireProblem: String?
    }

    /// Registers the new client, checks it works, stores it, then retires the previous one. Nothing is stored
    /// unless the new client obtained a token.
    public func reinitialize(adminCredential: String, managementCredential: String?) async throws -> Outcome {
        let key = try access.unlock()
        let metadata: ProviderMetadata?
        do {
            metadata = settings.issuer == nil ? nil : try await ProviderMetadata.discover(issuer: settings.issuer!)
        } catch let error as OAuthError where error.isRefusedEndpoint {
            throw ServiceError("the identity provider's metadata is refused: \(error)")
        } catch {
            throw ServiceError("cannot reach the identity provider: \(error)")
        }
        guard let endpoint = settings.registrationURL ?? metadata?.registrationEndpoint else {
            throw ServiceError("the identity provider at \(settings.issuer ?? "?") offers no client registration "
                               + "(no registration_endpoint): dynamic client registration is disabled there")
        }
        guard let tokenURL = settings.tokenURL ?? metadata?.tokenEndpoint else { throw ServiceError("no token endpoint") }
        let method = ClientAuthMethod(rawValue: settings.clientAuth) ?? .clientSecretBasic

        let registered: RegisteredClient
        do {
            registered = try await ClientRegistration(endpoint: endpoint)
                .register(name: settings.clientName ?? "idsync \(connector) (\(hostName()))", scope: settings.scope,
                          authMethod: method, initialAccessToken: adminCredential)
        } catch let error as OAuthError {
            if error.isUnreachable { throw ServiceError("cannot reach the identity provider: \(error)") }
            if error.isRefusedEndpoint { throw ServiceError("refused: \(error)") }
            throw ServiceError("the identity provider refused the registration — check the admin credential: \(error)")
        }
        // The new client must work before anything is stored or retired.
        do {
            _ = try await OAuth2ClientCredentials(tokenURL: tokenURL, client: .init(id: registered.clientID, secret: registered.clientSecret),
                                                  method: method, scope: settings.scope).fetchToken()
        } catch {
            if let uri = registered.registrationClientURI, let token = registered.registrationAccessToken {
                // Best effort: the error reported is why the client does not work, not whether its cleanup did.
                try? await ClientRegistration.delete(clientURI: uri, token: token, registrationEndpoint: endpoint)
            }
            throw ServiceError("the new client \(registered.clientID) cannot obtain a token, so it was not kept: \(error)")
        }

        let previous = try store.clientRegistration(connector: connector)
        // Read before it is replaced; nil when it was lost with an abandoned key.
        let previousToken = (try? access.keys.secret(connector: connector, field: SecretField.registrationAccessToken, key: key)) ?? nil
        var secrets = [(SecretField.clientID, registered.clientID), (SecretField.clientSecret, registered.clientSecret)]
        if let token = registered.registrationAccessToken { secrets.append((SecretField.registrationAccessToken, token)) }
        try access.keys.setSecrets(secrets.map { (field: $0.0, value: $0.1) }, connector: connector, key: key)
        if registered.registrationAccessToken == nil {
            try? access.keys.removeSecret(connector: connector, field: SecretField.registrationAccessToken)
        }
        try store.setClientRegistration(ClientRegistrationRecord(connector: connector, clientID: registered.clientID,
                                                                 registrationClientURI: registered.registrationClientURI,
                                                                 issuer: metadata?.issuer ?? settings.issuer))

        guard let previous, previous.clientID != registered.clientID else {
            return record(Outcome(newClient: registered.clientID, issuer: metadata?.issuer, previousClient: nil,
                                  previousRetired: nil, retireProblem: nil))
        }
        let uri = previous.registrationClientURI ?? "\(endpoint)/\(previous.clientID)"
        guard let token = previousToken ?? managementCredential else {
            return record(Outcome(newClient: registered.clientID, issuer: metadata?.issuer, previousClient: previous.clientID,
                                  previousRetired: false, retireProblem: "its registration access token was lost with the abandoned key; "
                                  + "pass a management credential for it (--management-credential-file) or delete it in the identity provider"))
        }
        do {
            try await ClientRegistration.delete(clientURI: uri, token: token, registrationEndpoint: endpoint)
            return record(Outcome(newClient: registered.clientID, issuer: metadata?.issuer, previousClient: previous.clientID,
                                  previousRetired: true, retireProblem: nil))
        } catch {
            return record(Outcome(newClient: registered.clientID, issuer: metadata?.issuer, previousClient: previous.clientID,
                                  previousRetired: false, retireProblem: "\(error)"))
        }
    }

    private func record(_ outcome: Outcome) -> Outcome {
        access.events.record(IDSyncEvent.cloudAccountReinitialized(connector: connector, outcome: outcome))
        return outcome
    }

    private func hostName() -> String {
        (try? String(contentsOfFile: "/etc/hostname", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "idsync"
    }
}
