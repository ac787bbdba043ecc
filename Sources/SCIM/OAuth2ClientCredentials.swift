import AsyncHTTPClient
import Foundation
import Synchronization

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
public enum ClientAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
}

/// RFC 6749 §4.4 client credentials: tokens fetched from the token endpoint, cached until shortly before
/// they expire, and fetched again once after a 401 (a token revoked early).
public final class OAuth2ClientCredentials: SCIMCredentialProvider, CustomStringConvertible {
    public struct Client: Sendable {
        public var id: String
        public var secret: String
        public init(id: String, secret: String) { self.id = id; self.secret = secret }
    }

    private let tokenURL: String
    private let client: Client
    private let method: ClientAuthMethod
    private let scope: String?
    private let cached = Mutex<(token: String, expires: ContinuousClock.Instant)?>(nil)

    public init(tokenURL: String, client: Client, method: ClientAuthMethod = .clientSecretBasic, scope: String? = nil) {
        self.tokenURL = tokenURL
        self.client = client
        self.method = method
        self.scope = scope
    }

    public var description: String { "OAuth2ClientCredentials(client \(client.id), secret <redacted>)" }

    public func authorization() async throws -> String {
        if let (token, expires) = cached.withLock({ $0 }), ContinuousClock.now < expires { return "Bearer \(token)" }
        let (token, lifetime) = try await fetchToken()
        // Renewed 30 s (or a tenth of a short lifetime) before it expires, so no request carries a dying token.
        let margin = min(Duration.seconds(30), lifetime / 10)
        cached.withLock { $0 = (token, ContinuousClock.now + lifetime - margin) }
        return "Bearer \(token)"
    }

    public func invalidate() async -> Bool {
        cached.withLock { $0 = nil }
        return true
    }

    /// Asks for a token; throws `OAuthError` (invalid_client for a wrong or retired secret). The secret goes
    /// only to an https token endpoint (or one on loopback), and not on to where a redirect points.
    public func fetchToken() async throws -> (token: String, lifetime: Duration) {
        _ = try EndpointOrigin.requireTrusted(tokenURL, "token request for client \(client.id)")
        var form = [("grant_type", "client_credentials")]
        if let scope { form.append(("scope", scope)) }
        var headers: [(String, String)] = []
        switch method {
        case .clientSecretBasic:
            // RFC 6749 §2.3.1: id and secret form-encoded before base64.
            let pair = "\(formEncode([("", client.id)]).dropFirst()):\(formEncode([("", client.secret)]).dropFirst())"
            headers.append(("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
        case .clientSecretPost:
            form += [("client_id", client.id), ("client_secret", client.secret)]
        }
        let response = try await HTTPJSON(timeout: .seconds(30)).send(.POST, tokenURL, headers: headers, form: form)
        guard response.status == 200, let token = response.body?["access_token"]?.stringValue else {
            throw OAuthError(operation: "token request for client \(client.id)", response: response)
        }
        let seconds = response.body?["expires_in"]?.intValue ?? 3600
        return (token, .seconds(max(seconds, 1)))
    }
}
