/// A failed SCIM request, with what the service provider said (RFC 7644 §3.12 error body when it sent one).
public struct SCIMError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The server answered with an HTTP error status.
        case status(Int)
        /// The request never got an answer: connection refused, reset, timed out.
        case transport
        /// The server answered 2xx with something that is not the SCIM JSON expected.
        case invalidResponse
    }
    public let kind: Kind
    public let method: String
    public let path: String
    /// RFC 7644 `scimType` (uniqueness, invalidFilter, mutability, ...).
    public let scimType: String?
    /// The server's `detail`, or the start of a non-SCIM body (some servers answer with an HTML page).
    public let detail: String?

    public var status: Int? { if case .status(let code) = kind { return code }; return nil }
    public var isNotFound: Bool { status == 404 }
    public var isConflict: Bool { status == 409 || scimType == "uniqueness" }
    /// 401/403: the credential is wrong or lacks rights; retrying the same request will not help.
    public var isAuthenticationFailure: Bool { status == 401 || status == 403 }

    public var description: String {
        let what = switch kind {
        case .status(let code): "HTTP \(code)"
        case .transport: "no answer"
        case .invalidResponse: "invalid response"
        }
        var text = "\(method) \(path): \(what)"
        if let scimType { text += " (\(scimType))" }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}
