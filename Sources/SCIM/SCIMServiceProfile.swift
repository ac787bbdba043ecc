/// What one SCIM service provider says it supports (RFC 7644 §4): its ServiceProviderConfig, resource types
/// and schemas, read together. Many providers serve some of these wrongly or not at all; what is missing or
/// unreadable gets conservative defaults (no Bulk, no filter, nothing to check flows against), and `gaps`
/// says which and why, so `idsync connector probe` can tell an admin instead of guessing quietly.
public struct SCIMServiceProfile: Sendable {
    /// The ServiceProviderConfig features that are yes, no, or not said (nil).
    public struct Capabilities: Sendable, Equatable {
        public var patch: Bool?
        public var etag: Bool?
        public var sort: Bool?
        public var changePassword: Bool?
        /// The `type` of each authentication scheme listed (`oauthbearertoken`, `httpbasic`, …).
        public var authenticationSchemes: [String]

        public static let unknown = Capabilities(patch: nil, etag: nil, sort: nil, changePassword: nil, authenticationSchemes: [])

        public init(patch: Bool?, etag: Bool?, sort: Bool?, changePassword: Bool?, authenticationSchemes: [String]) {
            self.patch = patch; self.etag = etag; self.sort = sort; self.changePassword = changePassword
            self.authenticationSchemes = authenticationSchemes
        }

        init(_ config: JSON) {
            func supported(_ name: String) -> Bool? { config.value(forAttribute: name)?.value(forAttribute: "supported")?.boolValue }
            let schemes = config.value(forAttribute: "authenticationSchemes")?.arrayValue ?? []
            self.init(patch: supported("patch"), etag: supported("etag"), sort: supported("sort"),
                      changePassword: supported("changePassword"),
                      authenticationSchemes: schemes.compactMap { $0.value(forAttribute: "type")?.stringValue })
        }
    }

    /// A discovery endpoint that was not served, or not understood.
    public struct Gap: Sendable, Equatable, CustomStringConvertible {
        public let endpoint: String
        public let reason: String
        public var description: String { "\(endpoint): \(reason)" }
    }

    /// Bulk and filter limits, as the export uses them.
    public var features: SCIMFeatures
    public var capabilities: Capabilities
    /// Nil when the provider serves no readable /Schemas: flows are then not checked against its schema.
    public var catalog: SCIMSchemaCatalog?
    public var gaps: [Gap]

    public init(features: SCIMFeatures, capabilities: Capabilities, catalog: SCIMSchemaCatalog?, gaps: [Gap]) {
        self.features = features; self.capabilities = capabilities; self.catalog = catalog; self.gaps = gaps
    }
}

extension SCIMClient {
    /// Reads the three discovery endpoints. One that is not served or answers something unreadable becomes a
    /// gap with conservative defaults. A refused credential is thrown, and so is a /Schemas or /ResourceTypes
    /// that gets no answer or a server error (5xx): guessing the schema from a passing outage could shape a
    /// whole export wrongly, while a run that stops is tried again by the next cycle. ServiceProviderConfig
    /// only tunes how requests are sent, so any failure of it short of the credential is a gap.
    public func serviceProfile() async throws -> SCIMServiceProfile {
        var gaps: [SCIMServiceProfile.Gap] = []
        func attempt<Value>(_ endpoint: String, onlyTunes: Bool, _ read: () async throws -> Value?) async throws -> Value? {
            do {
                guard let value = try await read() else {
                    gaps.append(.init(endpoint: endpoint, reason: "not served"))
                    return nil
                }
                return value
            } catch let error as SCIMError where !error.isAuthenticationFailure
                        && (onlyTunes || error.kind == .invalidResponse || ((400..<500).contains(error.status ?? 0) && error.status != 429)) {
                gaps.append(.init(endpoint: endpoint, reason: error.description))
                return nil
            }
        }
        let config = try await attempt("/ServiceProviderConfig", onlyTunes: true) { try await discovery("/ServiceProviderConfig") }
        let schemas = try await attempt("/Schemas", onlyTunes: false) { try await self.schemas() }
        let resourceTypes = try await attempt("/ResourceTypes", onlyTunes: false) { try await self.resourceTypes() }
        return SCIMServiceProfile(features: config.map(SCIMFeatures.init) ?? .minimal,
                                  capabilities: config.map(SCIMServiceProfile.Capabilities.init) ?? .unknown,
                                  catalog: schemas.map { SCIMSchemaCatalog(schemas: $0, resourceTypes: resourceTypes ?? []) },
                                  gaps: gaps)
    }
}
