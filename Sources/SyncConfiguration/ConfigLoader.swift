import Foundation
import Yams

/// Finds, reads and validates idsync.yaml. Everything that can be checked without contacting a server is
/// checked here, before anything runs: types, unknown keys, required keys, URLs, and that every file the
/// configuration names exists and is readable.
public enum ConfigLoader {
    public static let defaultPath = "/etc/idsync/idsync.yaml"
    public static let defaultDatabase = "/var/lib/idsync/idsync.sqlite"

    /// `--config`, else `$IDSYNC_CONFIG`, else /etc/idsync/idsync.yaml.
    public static func resolvePath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment["IDSYNC_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultPath
    }

    public static func load(path: String) throws -> IDSyncConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "not found"
            throw ConfigError(file: path, line: nil, keyPath: "", message: "configuration file \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, keyPath: "", message: "not valid UTF-8")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> IDSyncConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: nil, keyPath: "", message: "the file is empty")
            }
            root = node
        } catch let error as YamlError {
            throw ConfigError(file: file, line: yamlErrorLine(error), keyPath: "", message: "not valid YAML: \(firstLine(error))")
        }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var reader = ConfigReader(baseDirectory: base)
        return try reader.read(root, file: file)
    }

    private static func firstLine(_ error: YamlError) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }
}

/// The walk over the document. Paths are resolved against the configuration file's directory.
private struct ConfigReader {
    let baseDirectory: String

    mutating func read(_ root: Node, file: String) throws -> IDSyncConfig {
        var top = try YAMLObject(root, file: file, path: "")
        let database = try path(top.string("database"), in: top, key: "database", mustExist: false)
            ?? ConfigLoader.defaultDatabase
        let service = try readService(top.object("service"))
        let sync = try readSync(top.object("sync"))
        guard var connectorNodes = try top.objectList("connectors"), !connectorNodes.isEmpty else {
            throw top.error("connectors", "is required: list at least one ldap source and one scim target")
        }
        var connectors: [ConnectorConfig] = []
        for index in connectorNodes.indices {
            let connector = try readConnector(&connectorNodes[index])
            if connectors.contains(where: { $0.name == connector.name }) {
                throw connectorNodes[index].error("name", "duplicate connector name \"\(connector.name)\"")
            }
            connectors.append(connector)
        }
        try top.finish()
        let config = IDSyncConfig(file: file, database: database, service: service, sync: sync, connectors: connectors)
        if config.sourceConnectors.isEmpty {
            throw ConfigError(file: file, line: top.line, keyPath: "connectors", message: "no ldap connector: idsync needs a directory to read from")
        }
        if config.targetConnectors.isEmpty {
            throw ConfigError(file: file, line: top.line, keyPath: "connectors", message: "no scim connector: idsync needs an application to write to")
        }
        if let logon = service.logonConnector, config.connector(named: logon)?.role != .source {
            throw ConfigError(file: file, line: top.node("service")?.mark?.line, keyPath: "service.logon_connector",
                              message: "\"\(logon)\" is not an ldap connector of this configuration")
        }
        return config
    }

    private func readService(_ node: YAMLObject?) throws -> ServiceConfig {
        guard var node else { return ServiceConfig() }
        var service = ServiceConfig()
        service.account = try node.string("account")
        service.passwordFile = try path(node.string("password_file"), in: node, key: "password_file", mustExist: false)
        service.logonConnector = try node.string("logon_connector")
        service.logFile = try path(node.string("log_file"), in: node, key: "log_file", mustExist: false)
        service.staging = try node.bool("staging") ?? false
        if case .scalar = node.node("schedule") {
            // `schedule: continuous`
            guard try node.string("schedule") == "continuous" else {
                throw node.error("schedule", "expected `continuous` or a mapping with interval")
            }
            service.continuous = true
        } else if var schedule = try node.object("schedule") {
            if let interval = try schedule.duration("interval") {
                guard interval >= .seconds(1) else { throw schedule.error("interval", "must be at least 1s") }
                service.interval = interval
            }
            try schedule.finish()
        }
        try node.finish()
        return service
    }

    private func readSync(_ node: YAMLObject?) throws -> SyncSettings {
        var settings = SyncSettings()
        guard var node else { return settings }
        settings.deletionThreshold = try node.int("deletion_threshold", range: 0...10_000_000) ?? settings.deletionThreshold
        settings.runHistoryRetention = try node.duration("run_history_retention") ?? settings.runHistoryRetention
        settings.fullCycleInterval = try node.duration("full_cycle_interval") ?? settings.fullCycleInterval
        settings.rulesFile = try path(node.string("rules"), in: node, key: "rules", mustExist: true)
        settings.exportConcurrency = try node.int("export_concurrency", range: 1...64) ?? settings.exportConcurrency
        try node.finish()
        return settings
    }

    private func readConnector(_ node: inout YAMLObject) throws -> ConnectorConfig {
        let name = try node.requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw node.error("name", "\"\(name)\" may hold only letters, digits, '-', '_' and '.'")
        }
        let type = try node.requiredString("type")
        let kind: ConnectorConfig.Kind
        switch type {
        case "ldap": kind = .ldap(try readLDAP(&node))
        case "scim": kind = .scim(try readSCIM(&node))
        default: throw node.error("type", "unknown connector type \"\(type)\"; expected ldap or scim")
        }
        try node.finish()
        return ConnectorConfig(name: name, kind: kind)
    }

    private func readLDAP(_ node: inout YAMLObject) throws -> LDAPConnectorConfig {
        let flavor = try node.choice("flavor", ["active-directory": LDAPConnectorConfig.Flavor.activeDirectory,
                                                "openldap": .openLDAP]) ?? .activeDirectory
        let url = try node.requiredString("url")
        guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), ["ldap", "ldaps"].contains(scheme),
              URLComponents(string: url)?.host?.isEmpty == false else {
            throw node.error("url", "\"\(url)\" is not an ldap:// or ldaps:// URL with a host")
        }
        let startTLS = try node.bool("start_tls") ?? false
        if startTLS && scheme == "ldaps" { throw node.error("start_tls", "StartTLS applies to ldap:// URLs; this one is already ldaps://") }
        let tlsVerify = try node.bool("tls_verify") ?? true
        let caFile = try path(node.string("tls_ca_file"), in: node, key: "tls_ca_file", mustExist: true)
        let bindDN = try node.requiredString("bind_dn")
        let passwordFile = try path(node.string("password_file"), in: node, key: "password_file", mustExist: true)
        let baseDN = try node.requiredString("base_dn")
        let containers = try node.stringList("containers") ?? []
        for (index, container) in containers.enumerated() where !isWithin(container, base: baseDN) {
            // `[OU=Staff,DC=contoso,DC=test]` is three YAML items, not one DN: say so.
            let hint = container.contains(",") ? "" : " (in a YAML [flow list] commas separate items: quote each DN)"
            throw node.error("containers", "containers[\(index)] \"\(container)\" is not under base_dn \"\(baseDN)\"\(hint)")
        }
        let pageSize = try node.int("page_size", range: 1...5000) ?? 500
        let timeout = try node.duration("timeout") ?? .seconds(120)
        var ldap = LDAPConnectorConfig(flavor: flavor, url: url, startTLS: startTLS, tlsCAFile: caFile, tlsVerify: tlsVerify,
                                       bindDN: bindDN, passwordFile: passwordFile, baseDN: baseDN, containers: containers,
                                       pageSize: pageSize, timeout: timeout)
        if let connectTimeout = try node.duration("connect_timeout") {
            guard connectTimeout > .zero else { throw node.error("connect_timeout", "must be longer than 0s") }
            ldap.connectTimeout = connectTimeout
        }
        ldap.deleteDetection = try node.choice("delete_detection", ["sweep": .sweep, "tombstones": .tombstones]) ?? .sweep
        ldap.allowPlaintextBind = try node.bool("allow_plaintext_bind") ?? false
        if ldap.allowPlaintextBind && ldap.bindsOverTLS {
            throw node.error("allow_plaintext_bind", "applies only to ldap:// without start_tls; this connection is TLS already")
        }
        return ldap
    }

    private func readSCIM(_ node: inout YAMLObject) throws -> SCIMConnectorConfig {
        let url = try node.requiredString("url")
        guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), ["http", "https"].contains(scheme),
              URLComponents(string: url)?.host?.isEmpty == false else {
            throw node.error("url", "\"\(url)\" is not an http:// or https:// URL with a host")
        }
        if let problem = TransportPolicy.plainHTTPProblem(url) { throw node.error("url", problem) }
        guard var authNode = try node.object("auth") else { throw node.error("auth", "is required") }
        let authType = try authNode.requiredString("type")
        let auth: SCIMConnectorConfig.Auth
        switch authType {
        case "bearer":
            auth = .bearer(tokenFile: try path(authNode.string("token_file"), in: authNode, key: "token_file", mustExist: true))
        case "oauth2-client-credentials":
            var settings = SCIMConnectorConfig.OAuth2Settings(clientAuth: "client_secret_basic")
            settings.issuer = try httpURL(authNode.string("issuer"), in: authNode, key: "issuer")
            settings.tokenURL = try httpURL(authNode.string("token_url"), in: authNode, key: "token_url")
            settings.registrationURL = try httpURL(authNode.string("registration_url"), in: authNode, key: "registration_url")
            settings.clientAuth = try authNode.choice("client_auth", ["client_secret_basic": "client_secret_basic",
                                                                      "client_secret_post": "client_secret_post"]) ?? "client_secret_basic"
            settings.scope = try authNode.string("scope")
            settings.clientName = try authNode.string("client_name")
            guard settings.issuer != nil || settings.tokenURL != nil else {
                throw authNode.error("issuer", "set issuer (for discovery) or token_url")
            }
            auth = .oauth2ClientCredentials(settings)
        default:
            throw authNode.error("type", "unknown auth type \"\(authType)\"; expected bearer or oauth2-client-credentials")
        }
        try authNode.finish()
        let timeout = try node.duration("timeout") ?? .seconds(30)
        var scim = SCIMConnectorConfig(url: url, auth: auth, timeout: timeout)
        scim.bulk = try node.bool("bulk") ?? true
        scim.concurrency = try node.int("concurrency", range: 1...64) ?? 8
        scim.deprovision = try node.choice("deprovision", ["delete": .delete, "disable": .disable]) ?? .delete
        if case .scalar = node.node("deprovision_delete_after"), try node.string("deprovision_delete_after") == "never" {
            scim.deprovisionDeleteAfter = nil
        } else if let after = try node.duration("deprovision_delete_after") {
            guard scim.deprovision == .disable else {
                throw node.error("deprovision_delete_after", "applies only with deprovision: disable")
            }
            scim.deprovisionDeleteAfter = after
        }
        scim.deletionThreshold = try node.int("deletion_threshold", range: 0...10_000_000)
        scim.staging = try node.bool("staging")
        return scim
    }

    /// An https URL (http only to loopback), or nil.
    private func httpURL(_ value: String?, in node: YAMLObject, key: String) throws -> String? {
        guard let value else { return nil }
        guard let scheme = URLComponents(string: value)?.scheme?.lowercased(), ["http", "https"].contains(scheme),
              URLComponents(string: value)?.host?.isEmpty == false else {
            throw node.error(key, "\"\(value)\" is not an http:// or https:// URL with a host")
        }
        if let problem = TransportPolicy.plainHTTPProblem(value) { throw node.error(key, problem) }
        return value
    }

    /// Resolves a path against the configuration's directory; with `mustExist`, checks it can be read now.
    private func path(_ value: String?, in node: YAMLObject, key: String, mustExist: Bool) throws -> String? {
        guard let value else { return nil }
        let resolved = value.hasPrefix("/") ? value : URL(fileURLWithPath: baseDirectory).appendingPathComponent(value).path
        if mustExist {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
                throw node.error(key, "file not found: \(resolved)")
            }
            guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: resolved) else {
                throw node.error(key, "cannot read \(resolved)")
            }
        }
        return resolved
    }

    /// Case-insensitive suffix test on DNs with the spaces after commas dropped: enough to catch a
    /// container typed under the wrong base.
    private func isWithin(_ dn: String, base: String) -> Bool {
        func squash(_ s: String) -> String { s.lowercased().replacingOccurrences(of: ", ", with: ",") }
        let dn = squash(dn), base = squash(base)
        return dn == base || dn.hasSuffix("," + base)
    }
}
