import AsyncHTTPClient
import Foundation

/// An identity provider's metadata (OpenID Connect Discovery / RFC 8414): where tokens and client
/// registrations are.
public struct ProviderMetadata: Sendable {
    public let issuer: String
    public let tokenEndpoint: String
    public let registrationEndpoint: String?

    /// Reads `<issuer>/.well-known/openid-configuration`. The endpoints it names must be on the issuer's
    /// origin (and https, unless on loopback): a client secret or an admin's credential goes there next.
    public static func discover(issuer: String) async throws -> ProviderMetadata {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let origin = try EndpointOrigin.requireTrusted(base, "discovery at \(base)")
        let url = base + "/.well-known/openid-configuration"
        let response = try await HTTPJSON(timeout: .seconds(30)).send(.GET, url)
        guard response.status == 200, let body = response.body, let token = body["token_endpoint"]?.stringValue else {
            throw OAuthError(operation: "discovery at \(url)", response: response)
        }
        let registration = body["registration_endpoint"]?.stringValue
        try EndpointOrigin.requireSameOrigin(token, "the discovered token_endpoint", as: origin, of: base)
        if let registration {
            try EndpointOrigin.requireSameOrigin(registration, "the discovered registration_endpoint", as: origin, of: base)
        }
        return ProviderMetadata(issuer: body["issuer"]?.stringValue ?? base, tokenEndpoint: token,
                                registrationEndpoint: registration)
    }
}

/// A client registered with RFC 7591, with what RFC 7592 needs to manage it later.
public struct RegisteredClient: Sendable, CustomStringConvertible {
    public let clientID: String
    public let clientSecret: String
    public let registrationAccessToken: String?
    public let registrationClientURI: String?
    public var description: String { "client \(clientID)" }
}

/// RFC 7591 dynamic client registration and RFC 7592 client management.
public struct ClientRegistration: Sendable {
    public let endpoint: String

    public init(endpoint: String) { self.endpoint = endpoint }

    /// Registers a confidential client for the client-credentials grant, authorized by `initialAccessToken`
    /// (the tenant admin's credential, RFC 7591 §3). A `registration_client_uri` on another origin than the
    /// endpoint is refused: its registration access token would be sent there.
    public func register(name: String, scope: String?, authMethod: ClientAuthMethod, initialAccessToken: String) async throws -> RegisteredClient {
        var metadata: [String: JSON] = [
            "client_name": .string(name),
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": .string(authMethod.rawValue),
        ]
        if let scope { metadata["scope"] = .string(scope) }
        let origin = try EndpointOrigin.requireTrusted(endpoint, "client registration at \(endpoint)")
        let response = try await HTTPJSON(timeout: .seconds(30))
            .send(.POST, endpoint, headers: [("Authorization", "Bearer \(initialAccessToken)")], json: .object(metadata))
        guard response.status == 201 || response.status == 200, let body = response.body,
              let id = body["client_id"]?.stringValue, let secret = body["client_secret"]?.stringValue else {
            throw OAuthError(operation: "client registration at \(endpoint)", response: response)
        }
        let clientURI = body["registration_client_uri"]?.stringValue
        if let clientURI {
            do {
                try EndpointOrigin.requireSameOrigin(clientURI, "the registration_client_uri of client \(id)", as: origin, of: endpoint)
            } catch let error as OAuthError {
                throw OAuthError(operation: error.operation, status: nil, error: nil,
                                 description: "\(error.description_ ?? ""); the client was registered but is not kept: delete it in the identity provider",
                                 refusedEndpoint: true)
            }
        }
        return RegisteredClient(clientID: id, clientSecret: secret,
                                registrationAccessToken: body["registration_access_token"]?.stringValue,
                                registrationClientURI: clientURI)
    }

    /// Deletes a registration (RFC 7592 §2.3) with its registration access token or a management
    /// credential. A registration already gone counts as deleted. `clientURI` must be on the origin of
    /// `registrationEndpoint` before the token is sent to it.
    public static func delete(clientURI: String, token: String, registrationEndpoint: String) async throws {
        let origin = try EndpointOrigin.requireTrusted(registrationEndpoint, "client registration at \(registrationEndpoint)")
        try EndpointOrigin.requireSameOrigin(clientURI, "deleting the registration \(clientURI)", as: origin, of: registrationEndpoint)
        let response = try await HTTPJSON(timeout: .seconds(30))
            .send(.DELETE, clientURI, headers: [("Authorization", "Bearer \(token)")])
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw OAuthError(operation: "deleting the registration \(clientURI)", response: response)
        }
    }
}
