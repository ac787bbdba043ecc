import Foundation

/// Which connections may carry a credential. A password or token sent without TLS can be read by anyone on
/// the path, so idsync sends none that way, except to this machine (loopback: a lab or test server) or
/// where an admin said so for a lab (`allow_plaintext_bind`).
public enum TransportPolicy {
    /// 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine.
    public static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Why an http(s) URL may not carry a credential, or nil when it may: https anywhere, http to loopback.
    public static func plainHTTPProblem(_ url: String) -> String? {
        guard let components = URLComponents(string: url), components.scheme?.lowercased() == "http",
              let host = components.host, !isLoopback(host: host) else { return nil }
        return "\"\(url)\" is plain http to another machine: what idsync sends there (a token, a client secret) would "
            + "cross the network unencrypted; use https:// (http:// is accepted only for 127.0.0.1, ::1 and localhost)"
    }
}

extension LDAPConnectorConfig {
    /// Whether the connection is encrypted before the bind: ldaps://, or ldap:// upgraded with StartTLS
    /// (a StartTLS that fails fails the connection; nothing falls back to plain).
    public var bindsOverTLS: Bool {
        startTLS || URLComponents(string: url)?.scheme?.lowercased() == "ldaps"
    }

    /// The refusal of a simple bind over plain ldap://, or nil when the bind may go: over TLS, or with
    /// `allow_plaintext_bind: true` (a lab; the caller warns).
    public var plaintextBindRefusal: String? {
        guard !bindsOverTLS, !allowPlaintextBind else { return nil }
        return "refused to bind over \(url) without TLS (the password would cross the network "
            + "in the clear); use ldaps://, or start_tls: true (allow_plaintext_bind: true only in a lab)"
    }

    /// What is logged, at every start, when a plain bind is allowed.
    public static let plaintextBindWarning = "allow_plaintext_bind is true: the bind password crosses the network "
        + "in the clear over ldap:// without start_tls; use only in a lab"
}
