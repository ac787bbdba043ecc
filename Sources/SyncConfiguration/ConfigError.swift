/// A configuration problem, named by file, line and key path so an admin can go straight to it:
/// `/etc/idsync/idsync.yaml:14: connectors[0].tls_ca_file: file not found: /etc/idsync/ca.pem`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let keyPath: String
    public let message: String

    public init(file: String, line: Int?, keyPath: String, message: String) {
        self.file = file; self.line = line; self.keyPath = keyPath; self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
