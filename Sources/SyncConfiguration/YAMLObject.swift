import Foundation
import Yams

/// A YAML mapping read strictly: every value is type-checked, every error names its key path and line,
/// and `finish()` rejects keys nobody asked for (a typo must not silently fall back to a default). Public
/// for the other files idsync reads the same way (sync rules).
public struct YAMLObject {
    public let file: String
    public let path: String
    public let line: Int?
    private let entries: [(key: String, value: Node)]
    private var used: Set<String> = []

    public init(_ node: Node, file: String, path: String) throws {
        guard case .mapping(let mapping) = node else {
            throw ConfigError(file: file, line: node.mark?.line, keyPath: path, message: "expected a mapping of keys to values")
        }
        var entries: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else {
                throw ConfigError(file: file, line: key.mark?.line, keyPath: path, message: "keys must be strings")
            }
            entries.append((name, value))
        }
        self.file = file; self.path = path; self.line = node.mark?.line; self.entries = entries
    }

    public func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func error(_ key: String, _ message: String, at node: Node? = nil) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? self.node(key)?.mark?.line ?? line, keyPath: keyPath(key), message: message)
    }

    public func node(_ key: String) -> Node? {
        entries.first { $0.key == key }.map(\.value)
    }

    public mutating func value(_ key: String) -> Node? {
        used.insert(key)
        guard let node = node(key) else { return nil }
        if case .scalar = node, node.tagName == .null { return nil }
        return node
    }

    public mutating func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node, [.str, .int, .float].contains(node.tagName) || scalar.style != .plain
        else { throw error(key, "expected a string", at: node) }
        return scalar.string
    }

    public mutating func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw error(key, "is required") }
        guard !value.isEmpty else { throw error(key, "must not be empty") }
        return value
    }

    public mutating func bool(_ key: String) throws -> Bool? {
        guard let node = value(key) else { return nil }
        guard case .scalar = node, node.tagName == .bool, let value = node.bool else {
            throw error(key, "expected true or false", at: node)
        }
        return value
    }

    public mutating func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let node = value(key) else { return nil }
        guard case .scalar = node, node.tagName == .int, let value = node.int else {
            throw error(key, "expected a whole number", at: node)
        }
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)", at: node)
        }
        return value
    }

    /// A duration written `30s`, `2m`, `1h`, `7d` or a number of seconds.
    public mutating func duration(_ key: String) throws -> Duration? {
        guard let node = value(key) else { return nil }
        guard case .scalar(let scalar) = node, let parsed = parseDuration(scalar.string) else {
            throw error(key, "expected a duration such as 30s, 2m, 1h or 7d", at: node)
        }
        return parsed
    }

    public mutating func stringList(_ key: String) throws -> [String]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence) = node else { throw error(key, "expected a list of strings", at: node) }
        return try sequence.enumerated().map { index, item in
            guard case .scalar(let scalar) = item, item.tagName != .null else {
                throw ConfigError(file: file, line: item.mark?.line, keyPath: "\(keyPath(key))[\(index)]", message: "expected a string")
            }
            return scalar.string
        }
    }

    public mutating func object(_ key: String) throws -> YAMLObject? {
        guard let node = value(key) else { return nil }
        return try YAMLObject(node, file: file, path: keyPath(key))
    }

    public mutating func objectList(_ key: String) throws -> [YAMLObject]? {
        guard let node = value(key) else { return nil }
        guard case .sequence(let sequence) = node else { throw error(key, "expected a list", at: node) }
        return try sequence.enumerated().map { try YAMLObject($1, file: file, path: "\(keyPath(key))[\($0)]") }
    }

    /// Reads an enumerated string value, listing the accepted ones when it is something else.
    public mutating func choice<T>(_ key: String, _ choices: [String: T]) throws -> T? {
        guard let raw = try string(key) else { return nil }
        guard let value = choices[raw] else {
            throw error(key, "unknown value \"\(raw)\"; expected one of: \(choices.keys.sorted().joined(separator: ", "))")
        }
        return value
    }

    /// A mapping of names to strings, in file order (e.g. attribute flows: target → expression).
    public mutating func stringMapping(_ key: String) throws -> [(key: String, value: String, line: Int?)]? {
        guard let node = value(key) else { return nil }
        guard case .mapping(let mapping) = node else { throw error(key, "expected a mapping of names to values", at: node) }
        return try mapping.map { name, value in
            guard let name = name.string, case .scalar(let scalar) = value, value.tagName != .null else {
                throw ConfigError(file: file, line: value.mark?.line, keyPath: keyPath(key), message: "expected name: value pairs")
            }
            return (name, scalar.string, value.mark?.line)
        }
    }

    /// Parses a whole document's top-level mapping.
    public static func document(_ text: String, file: String) throws -> YAMLObject {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigError(file: file, line: nil, keyPath: "", message: "the file is empty")
            }
            return try YAMLObject(node, file: file, path: "")
        } catch let error as YamlError {
            throw ConfigError(file: file, line: nil, keyPath: "", message: "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
    }

    /// Throws for the first key that no reader asked for.
    public func finish() throws {
        if let unknown = entries.first(where: { !used.contains($0.key) }) {
            throw error(unknown.key, "unknown key", at: unknown.value)
        }
    }
}

/// Parses `90`, `30s`, `2m`, `1h`, `7d` (also with `ms`).
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    for (suffix, seconds) in units where trimmed.hasSuffix(suffix) {
        guard let number = Double(trimmed.dropLast(suffix.count)), number >= 0 else { return nil }
        return .milliseconds(Int64((number * seconds * 1000).rounded()))
    }
    guard let number = Double(trimmed), number >= 0 else { return nil }
    return .milliseconds(Int64((number * 1000).rounded()))
}

extension Node {
    /// The resolved YAML type of the node (str, int, bool, null, ...).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
