import AsyncHTTPClient
import Foundation

/// An identity provider's metadata (OpenID Connect Discovery / RFC 8414): where tokens and client
/// registrations are.
public struct ProviderMetadata: Sendable {
    public let issuer: String
    public let tokenEndpoint: String
    public let registrationEndpoint: String?

    /// Reads `<issuer>/.well-known/openid-configuration`.
    public static func discover(issuer: String) async throws -> ProviderMetadata {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let http = HTTPClient.shared
        let url = base + "/.well-known/openid-configuration"
        let response = try await HTTPJSON(http: http, timeout: .seconds(30)).send(.GET, url)
        guard response.status == 200, let body = response.body, let token = body["token_endpoint"]?.stringValue else {
            throw OAuthError(operation: "discovery at \(url)", response: response)
        }
        return ProviderMetadata(issuer: body["issuer"]?.stringValue ?? base, tokenEndpoint: token,
                                registrationEndpoint: body["registration_endpoint"]?.stringValue)
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
    /// (the tenant admin's credential, RFC 7591 §3).
    public func register(name: String, scope: String?, authMethod: ClientAuthMethod, initialAccessToken: String) async throws -> RegisteredClient {
        var metadata: [String: JSON] = [
            "client_name": .string(name),
            "grant_types": ["client_credentials"],
            "response_types": [],
            "token_endpoint_auth_method": .string(authMethod.rawValue),
        ]
        if let scope { metadata["scope"] = .string(scope) }
        let http = HTTPClient.shared
        let response = try await HTTPJSON(http: http, timeout: .seconds(30))
            .send(.POST, endpoint, headers: [("Authorization", "Bearer \(initialAccessToken)")], json: .object(metadata))
        guard response.status == 201 || response.status == 200, let body = response.body,
              let id = body["client_id"]?.stringValue, let secret = body["client_secret"]?.stringValue else {
            throw OAuthError(operation: "client registration at \(endpoint)", response: response)
        }
        return RegisteredClient(clientID: id, clientSecret: secret,
                                registrationAccessToken: body["registration_access_token"]?.stringValue,
                                registrationClientURI: body["registration_client_uri"]?.stringValue)
    }

    /// Deletes a registration (RFC 7592 §2.3) with its registration access token or a management
    /// credential. A registration already gone counts as deleted.
    public static func delete(clientURI: String, token: String) async throws {
        let http = HTTPClient.shared
        let response = try await HTTPJSON(http: http, timeout: .seconds(30))
            .send(.DELETE, clientURI, headers: [("Authorization", "Bearer \(token)")])
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw OAuthError(operation: "deleting the registration \(clientURI)", response: response)
        }
    }
}
