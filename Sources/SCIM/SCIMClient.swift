import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The two resource types idsync writes (RFC 7643 §4).
public enum SCIMResourceType: String, Sendable, CaseIterable {
    case users = "Users"
    case groups = "Groups"

    public var coreSchema: String {
        switch self {
        case .users: "urn:ietf:params:scim:schemas:core:2.0:User"
        case .groups: "urn:ietf:params:scim:schemas:core:2.0:Group"
        }
    }
}

public enum SCIMSchema {
    public static let enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    public static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    public static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
}

/// One operation of a PATCH request (RFC 7644 §3.5.2).
public struct SCIMPatchOperation: Sendable, Equatable {
    /// The PatchOp message carrying `operations`.
    public static func message(_ operations: [SCIMPatchOperation]) -> JSON {
        ["schemas": [.string(SCIMSchema.patchOp)], "Operations": .array(operations.map(\.json))]
    }

    public enum Op: String, Sendable { case add, remove, replace }
    public var op: Op
    public var path: String?
    public var value: JSON?
    public init(_ op: Op, path: String?, value: JSON? = nil) { self.op = op; self.path = path; self.value = value }

    var json: JSON {
        var object: [String: JSON] = ["op": .string(op.rawValue)]
        if let path { object["path"] = .string(path) }
        if let value { object["value"] = value }
        return .object(object)
    }
}

/// A page of a list or query (RFC 7644 §3.4.2).
public struct SCIMListResponse: Sendable {
    public let totalResults: Int
    public let startIndex: Int
    public let resources: [JSON]
}

/// A SCIM 2.0 client (RFC 7644) over AsyncHTTPClient: keep-alive connection pool, bounded retries of
/// 429/503 answers honouring Retry-After, and error bodies reported as `SCIMError`s.
public final class SCIMClient: Sendable {
    public struct Configuration: Sendable {
        /// The service provider's base URL, e.g. http://127.0.0.1:8089/ or https://idp.example/scim/v2.
        public var baseURL: String
        public var timeout: Duration
        /// How often a request answered 429 or 503 (or not answered at all, when it is safe to resend) is retried.
        public var maxRetries: Int
        /// The longest a Retry-After is honoured; beyond it the request fails rather than stall a run.
        public var maxRetryDelay: Duration

        public init(baseURL: String, timeout: Duration = .seconds(30), maxRetries: Int = 5, maxRetryDelay: Duration = .seconds(60)) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.timeout = timeout; self.maxRetries = maxRetries; self.maxRetryDelay = maxRetryDelay
        }
    }

    public let configuration: Configuration
    private let credentials: any SCIMCredentialProvider
    private let http: HTTPClient
    private let logger: Logger

    public init(configuration: Configuration, credentials: any SCIMCredentialProvider, logger: Logger) {
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(10), read: TimeAmount(configuration.timeout))
        httpConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        httpConfiguration.decompression = .enabled(limit: .ratio(50))
        // Every request carries the credential: a redirect is reported, never followed to where it points.
        httpConfiguration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: Resources

    public func serviceProviderConfig() async throws -> JSON {
        try await send(.GET, "/ServiceProviderConfig").body ?? .object([:])
    }

    /// Checks, without retrying, that the service answers and accepts the credential: an authenticated GET of
    /// a User that does not exist (404 means authorized; ServiceProviderConfig is often public, so it proves
    /// nothing about the credential). Throws the `SCIMError` of anything else.
    public func probe() async throws {
        do {
            _ = try await send(.GET, "/Users/idsync-connectivity-check", retries: 0)
        } catch let error as SCIMError where error.isNotFound {
            return
        }
    }

    public func get(_ type: SCIMResourceType, id: String) async throws -> JSON {
        guard let body = try await send(.GET, "/\(type.rawValue)/\(escapePath(id))").body else {
            throw invalid(.GET, "/\(type.rawValue)/\(id)", "empty body")
        }
        return body
    }

    /// POSTs a new resource; returns it as the server stored it (with its `id`).
    public func create(_ type: SCIMResourceType, _ resource: JSON) async throws -> JSON {
        // A POST is not idempotent: resent only when the server says it did not process it (429/503).
        let response = try await send(.POST, "/\(type.rawValue)", body: resource, resendWithoutAnswer: false)
        guard let body = response.body, body["id"]?.stringValue != nil else {
            throw invalid(.POST, "/\(type.rawValue)", "the created resource has no id")
        }
        return body
    }

    /// POSTs to an endpoint that is not a resource collection (/Bulk); a POST is never resent without an answer.
    func post(_ path: String, _ body: JSON) async throws -> JSON? {
        try await send(.POST, path, body: body, resendWithoutAnswer: false).body
    }

    /// PATCHes a resource (RFC 7644 §3.5.2). Returns the resource when the server sends it (200), nil on 204.
    @discardableResult
    public func patch(_ type: SCIMResourceType, id: String, _ operations: [SCIMPatchOperation]) async throws -> JSON? {
        try await send(.PATCH, "/\(type.rawValue)/\(escapePath(id))", body: SCIMPatchOperation.message(operations)).body
    }

    public func delete(_ type: SCIMResourceType, id: String) async throws {
        _ = try await send(.DELETE, "/\(type.rawValue)/\(escapePath(id))")
    }

    /// One page of a list, optionally filtered. `count` is left out when nil: some servers refuse it.
    public func list(_ type: SCIMResourceType, filter: String? = nil, startIndex: Int = 1, count: Int? = nil) async throws -> SCIMListResponse {
        var query = [("startIndex", String(startIndex))]
        if let count { query.append(("count", String(count))) }
        if let filter { query.append(("filter", filter)) }
        let path = "/\(type.rawValue)?" + query.map { "\($0.0)=\(escapeQuery($0.1))" }.joined(separator: "&")
        guard let body = try await send(.GET, path).body else { throw invalid(.GET, path, "empty body") }
        let resources = body.value(forAttribute: "Resources")?.arrayValue ?? []
        let total = body.value(forAttribute: "totalResults")?.intValue ?? resources.count
        return SCIMListResponse(totalResults: total, startIndex: body.value(forAttribute: "startIndex")?.intValue ?? startIndex,
                                resources: resources)
    }

    /// Every resource of a type (all pages), in the server's order.
    public func listAll(_ type: SCIMResourceType, filter: String? = nil, pageSize: Int? = nil) async throws -> [JSON] {
        var all: [JSON] = []
        var startIndex = 1
        while true {
            let page = try await list(type, filter: filter, startIndex: startIndex, count: pageSize)
            all += page.resources
            if page.resources.isEmpty || all.count >= page.totalResults { return all }
            startIndex += page.resources.count
        }
    }

    /// Resources whose `attribute` equals `value`, asked with `filter=attribute eq "value"` and then checked
    /// here: a server that ignores or mis-applies filters must not make idsync take a stranger's object.
    public func find(_ type: SCIMResourceType, attribute: String, equals value: String, caseSensitive: Bool = false) async throws -> [JSON] {
        let candidates = try await listAll(type, filter: "\(attribute) eq \(scimFilterString(value))")
        return candidates.filter { resource in
            guard let actual = resource.value(forAttribute: attribute)?.stringValue else { return false }
            return caseSensitive ? actual == value : actual.caseInsensitiveCompare(value) == .orderedSame
        }
    }

    // MARK: Transport

    private struct Response { let status: Int; let body: JSON? }

    private func send(_ method: HTTPMethod, _ path: String, body: JSON? = nil, resendWithoutAnswer: Bool = true,
                      retries: Int? = nil) async throws -> Response {
        let maxRetries = retries ?? configuration.maxRetries
        var attempt = 0
        var refreshedCredentials = false
        while true {
            var request = HTTPClientRequest(url: configuration.baseURL + path)
            request.method = method
            request.headers.add(name: "Accept", value: "application/scim+json, application/json")
            request.headers.add(name: "Authorization", value: try await credentials.authorization())
            if let body {
                request.headers.add(name: "Content-Type", value: "application/scim+json")
                request.body = .bytes(ByteBuffer(bytes: body.encoded()))
            }
            let response: HTTPClientResponse
            let bytes: ByteBuffer
            do {
                response = try await http.execute(request, timeout: TimeAmount(configuration.timeout))
                bytes = try await response.body.collect(upTo: 64 << 20)
            } catch {
                let failure = SCIMError(kind: .transport, method: method.rawValue, path: path, scimType: nil,
                                        detail: transportDescription(error))
                guard resendWithoutAnswer, attempt < maxRetries else { throw failure }
                attempt += 1
                try await pause(backoff(attempt), before: method, path, reason: "no answer")
                continue
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                guard bytes.readableBytes > 0 else { return Response(status: status, body: nil) }
                guard let json = try? JSON.decode(Data(bytes.readableBytesView)) else {
                    throw invalid(method, path, "the body is not JSON (Content-Type \(response.headers.first(name: "content-type") ?? "none"))")
                }
                return Response(status: status, body: json)
            }
            if status == 401, !refreshedCredentials, await credentials.invalidate() {
                // A cached token may have expired between two requests: one fresh try, then report.
                refreshedCredentials = true
                continue
            }
            if (status == 429 || status == 503), attempt < maxRetries {
                attempt += 1
                let delay = retryAfter(response.headers) ?? backoff(attempt)
                if delay <= configuration.maxRetryDelay {
                    try await pause(delay, before: method, path, reason: "HTTP \(status)")
                    continue
                }
            }
            throw scimError(status: status, method: method, path: path, headers: response.headers, body: bytes)
        }
    }

    private func pause(_ delay: Duration, before method: HTTPMethod, _ path: String, reason: String) async throws {
        logger.info("retrying SCIM request", metadata: ["method": "\(method.rawValue)", "path": "\(path)",
                                                       "reason": "\(reason)", "delay": "\(delay)"])
        try await Task.sleep(for: delay)
    }

    /// Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped at 30 s.
    private func backoff(_ attempt: Int) -> Duration {
        let base = min(30.0, 0.5 * pow(2.0, Double(attempt - 1)))
        return .milliseconds(Int64(base * 1000 * Double.random(in: 0.8...1.2)))
    }

    /// Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    private func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSinceNow) * 1000))
    }

    private func scimError(status: Int, method: HTTPMethod, path: String, headers: HTTPHeaders, body: ByteBuffer) -> SCIMError {
        if (300..<400).contains(status) {
            return SCIMError(kind: .status(status), method: method.rawValue, path: path, scimType: nil,
                             detail: "redirected to \(headers.first(name: "location") ?? "nowhere"); idsync follows no redirect "
                                 + "(the credential would go with it): set the connector's url to the final address")
        }
        let data = Data(body.readableBytesView)
        if let json = try? JSON.decode(data) {
            let scimType = json.value(forAttribute: "scimType")?.stringValue, detail = json.value(forAttribute: "detail")?.stringValue
            if scimType != nil || detail != nil {
                return SCIMError(kind: .status(status), method: method.rawValue, path: path, scimType: scimType, detail: detail)
            }
        }
        // Not a SCIM error body (an HTML error page, another API's JSON): report its start, on one line.
        let text = String(decoding: data.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return SCIMError(kind: .status(status), method: method.rawValue, path: path, scimType: nil,
                         detail: text.isEmpty ? nil : "non-SCIM body: \(text)")
    }

    private func invalid(_ method: HTTPMethod, _ path: String, _ detail: String) -> SCIMError {
        SCIMError(kind: .invalidResponse, method: method.rawValue, path: path, scimType: nil, detail: detail)
    }

    private func transportDescription(_ error: Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}

/// A SCIM filter string literal (RFC 7644 §3.4.2.2 uses JSON string syntax).
public func scimFilterString(_ value: String) -> String {
    String(decoding: JSON.string(value).encoded(), as: UTF8.self)
}

func escapePath(_ segment: String) -> String {
    segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? segment
}

private func escapeQuery(_ value: String) -> String {
    value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

// MARK: Schemas and resource types (RFC 7644 §4, RFC 7643 §6–7)

extension SCIMClient {
    /// The schemas served at /Schemas; nil when the service provider serves none.
    public func schemas() async throws -> [SCIMSchemaDefinition]? {
        guard let json = try await discovery("/Schemas") else { return nil }
        return try decoded("/Schemas") { () throws(SCIMSchemaDecodingError) in
            try SCIMSchemaCatalog.decode(schemas: json, resourceTypes: nil).schemas
        }
    }

    /// The resource types served at /ResourceTypes; nil when the service provider serves none.
    public func resourceTypes() async throws -> [SCIMResourceTypeDefinition]? {
        guard let json = try await discovery("/ResourceTypes") else { return nil }
        return try decoded("/ResourceTypes") { () throws(SCIMSchemaDecodingError) in
            try SCIMSchemaCatalog.decode(schemas: [], resourceTypes: json).resourceTypes
        }
    }

    /// What the service provider says about its schemas, to check flows against; nil when it does not serve
    /// /Schemas (nothing can be checked). A target without /ResourceTypes gives a catalog without resource types.
    public func schemaCatalog() async throws -> SCIMSchemaCatalog? {
        guard let schemas = try await schemas() else { return nil }
        return SCIMSchemaCatalog(schemas: schemas, resourceTypes: try await resourceTypes() ?? [])
    }

    /// The body of a discovery endpoint; nil when the server says it has none (404, 405, 501: RFC 7644 §4
    /// endpoints are often left out). Any other failure is thrown.
    func discovery(_ path: String) async throws -> JSON? {
        do {
            guard let body = try await send(.GET, path).body else { throw invalid(.GET, path, "empty body") }
            return body
        } catch let error as SCIMError where [404, 405, 501].contains(error.status ?? 0) {
            return nil
        }
    }

    private func decoded<Value>(_ path: String, _ decode: () throws(SCIMSchemaDecodingError) -> Value) throws(SCIMError) -> Value {
        do {
            return try decode()
        } catch {
            throw invalid(.GET, path, error.reason)
        }
    }
}
