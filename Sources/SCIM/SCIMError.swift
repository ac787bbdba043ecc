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
    /// The server's `detail`, or the start of a non-SCIM body (some servers answer with an HTML page), on one
    /// line and at most `detailLimit` characters: it ends up in run history and `idsync errors`.
    public let detail: String?
    public static let detailLimit = 400

    public init(kind: Kind, method: String, path: String, scimType: String?, detail: String?) {
        self.kind = kind
        self.method = method
        self.path = path
        self.scimType = scimType
        self.detail = detail.map(Self.shortened)
    }

    static func shortened(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        guard line.count > detailLimit else { return line }
        return line.prefix(detailLimit) + "… (\(line.count - detailLimit) more characters)"
    }

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
