import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small JSON-over-HTTP exchange for the OAuth 2.0 side (discovery, token, registration), where the
/// SCIM client's retry and error rules do not apply. Errors keep OAuth's `error` / `error_description`.
/// Redirects are not followed (``oauthHTTPClient``): a 3xx is reported with where it pointed.
struct HTTPJSON: Sendable {
    var http: HTTPClient = oauthHTTPClient
    let timeout: Duration

    struct Response { let status: Int; let body: JSON? }

    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], json: JSON? = nil,
              form: [(String, String)]? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json.encoded()))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: formEncode(form)))
        }
        let response: HTTPClientResponse
        let data: Data
        do {
            response = try await http.execute(request, timeout: TimeAmount(timeout))
            data = Data(try await response.body.collect(upTo: 4 << 20).readableBytesView)
        } catch {
            throw OAuthError(operation: "\(method.rawValue) \(url)", status: nil, error: nil,
                             description: "no answer: \(error)")
        }
        let status = Int(response.status.code)
        if (300..<400).contains(status) {
            let location = response.headers.first(name: "location") ?? "nowhere"
            throw OAuthError(operation: "\(method.rawValue) \(url)", status: status, error: nil,
                             description: "redirected to \(location); idsync follows no redirect for OAuth requests "
                                 + "(the credential would go with it): configure the final URL")
        }
        // A body that is not JSON leaves `body` nil: the status alone is then reported.
        return Response(status: status, body: data.isEmpty ? nil : try? JSON.decode(data))
    }
}

/// RFC 6749 §5.2 / RFC 7591 §3.2.2 error, with the request that caused it. Never holds a secret.
public struct OAuthError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let status: Int?
    /// `error`: invalid_client, access_denied, invalid_client_metadata, …
    public let error: String?
    public let description_: String?
    /// idsync did not send the request: the endpoint is plain http elsewhere or on another origin.
    public let isRefusedEndpoint: Bool

    init(operation: String, status: Int?, error: String?, description: String?, refusedEndpoint: Bool = false) {
        self.operation = operation; self.status = status; self.error = error; self.description_ = description
        self.isRefusedEndpoint = refusedEndpoint
    }

    init(operation: String, response: HTTPJSON.Response) {
        self.init(operation: operation, status: response.status, error: response.body?["error"]?.stringValue,
                  description: response.body?["error_description"]?.stringValue ?? response.body?["detail"]?.stringValue)
    }

    public var isUnreachable: Bool { status == nil && !isRefusedEndpoint }

    public var description: String {
        var text = operation
        if let status { text += ": HTTP \(status)" }
        if let error { text += " (\(error))" }
        if let description_ { text += ": \(description_)" }
        return text
    }
}

func formEncode(_ fields: [(String, String)]) -> String {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
}
