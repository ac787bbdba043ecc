import Crypto
import Foundation

/// Attribute name → values, the shape every connector-space and metaverse object has. Values are strings;
/// binary source attributes are converted by the connector (objectGUID to its canonical string).
public typealias AttributeMap = [String: [String]]

extension Dictionary where Key == String, Value == [String] {
    /// The map without empty value lists: "no value" has one representation.
    public var normalized: AttributeMap { filter { !$0.value.isEmpty } }

    /// The first value of an attribute.
    public func first(_ name: String) -> String? { self[name]?.first }

    /// Deterministic JSON (sorted keys), so equal maps store equal bytes and hash equally.
    public func canonicalJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding [String: [String]] cannot fail.
        return String(decoding: (try? encoder.encode(normalized)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// SHA-256 of the canonical JSON, hex: "has anything changed" without comparing whole maps.
    public func digest() -> String {
        SHA256.hash(data: Data(canonicalJSON().utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func fromJSON(_ text: String) throws -> AttributeMap {
        try JSONDecoder().decode(AttributeMap.self, from: Data(text.utf8))
    }
}
