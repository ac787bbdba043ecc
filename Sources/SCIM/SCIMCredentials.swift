/// Supplies the Authorization header for SCIM requests. Implementations keep their secret in memory only
/// and never describe it in logs or errors.
public protocol SCIMCredentialProvider: Sendable {
    /// The value of the Authorization header, e.g. "Bearer …".
    func authorization() async throws -> String
    /// Called after a 401: drop any cached token. Returns true when a retry can bring a different one.
    func invalidate() async -> Bool
}

/// A static bearer token (RFC 6750), as most SCIM provisioning endpoints issue.
public struct BearerToken: SCIMCredentialProvider, CustomStringConvertible {
    private let token: String
    public init(_ token: String) { self.token = token }
    public func authorization() async throws -> String { "Bearer \(token)" }
    public func invalidate() async -> Bool { false }
    public var description: String { "BearerToken(<redacted>)" }
}
