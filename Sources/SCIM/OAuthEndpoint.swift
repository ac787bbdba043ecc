import AsyncHTTPClient
import Foundation

/// An endpoint's origin (RFC 6454: scheme, host, port), to decide where an OAuth 2.0 credential may go:
/// over https, or plain http to this machine (a lab or test provider on loopback); and for endpoints a
/// provider names (discovery, `registration_client_uri`), only to the origin idsync was configured with.
public struct EndpointOrigin: Equatable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    public init?(_ url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", var host = components.host?.lowercased(), !host.isEmpty else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
    }

    /// 127.0.0.0/8, ::1, localhost.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a credential may be sent here at all.
    public var isTrusted: Bool { scheme == "https" || isLoopback }

    public var description: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Throws unless `url` may carry a credential: `what` names it in the error ("the token endpoint").
    static func requireTrusted(_ url: String, _ what: String) throws -> EndpointOrigin {
        guard let origin = EndpointOrigin(url) else {
            throw OAuthError(operation: what, status: nil, error: nil, description: "\"\(url)\" is not an http(s) URL with a host",
                             refusedEndpoint: true)
        }
        guard origin.isTrusted else {
            throw OAuthError(operation: what, status: nil, error: nil,
                             description: "refused \(url): plain http to another machine (https is required; http only on loopback)",
                             refusedEndpoint: true)
        }
        return origin
    }

    /// Throws unless `url` may carry a credential and is on `origin` (a URL a provider gave, checked against
    /// the one the admin configured).
    static func requireSameOrigin(_ url: String, _ what: String, as origin: EndpointOrigin, of configured: String) throws {
        let other = try requireTrusted(url, what)
        guard other == origin else {
            throw OAuthError(operation: what, status: nil, error: nil,
                             description: "refused \(url): not on the origin of \(configured) (\(origin)); idsync sends "
                                 + "no credential to another origin", refusedEndpoint: true)
        }
    }
}

/// The HTTP client of the OAuth 2.0 requests: it follows no redirect, so a token or registration request
/// (and the secret or admin credential in it) goes only where it was addressed. A 3xx is an error.
let oauthHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()
