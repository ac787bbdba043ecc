/// A connector that cannot do its job at all (unreachable, refused credentials, untrusted certificate):
/// the run stops, and the message names the connector. Per-object problems are `RunError`s instead.
public struct ConnectorError: Error, CustomStringConvertible, Sendable {
    public let connector: String
    public let message: String

    public init(connector: String, _ message: String) {
        self.connector = connector
        self.message = message
    }

    public var description: String { "\(connector): \(message)" }
}

/// A problem with one object; the run records it and goes on.
public struct ObjectError: Error, CustomStringConvertible, Sendable {
    public let attribute: String?
    public let message: String
    public init(_ message: String, attribute: String? = nil) { self.message = message; self.attribute = attribute }
    public var description: String { attribute.map { "\($0): \(message)" } ?? message }
}
