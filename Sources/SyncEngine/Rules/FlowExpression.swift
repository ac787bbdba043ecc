import Foundation
import SyncStore

/// How one attribute's values are computed from an object's attributes (an attribute flow's source).
/// Kept as data, not code, so rule sets can be written in configuration.
public indirect enum FlowExpression: Sendable, Equatable {
    /// The values of an attribute.
    case attribute(String)
    case constant(String)
    /// The first expression that yields a value.
    case coalesce([FlowExpression])
    /// The first values of each part joined with `separator`; parts without a value are skipped.
    case concat([FlowExpression], separator: String)
    case lower(FlowExpression)
    case upper(FlowExpression)
    /// "true" when none of `mask`'s bits is set in the attribute's integer value, else "false"
    /// (userAccountControl's ACCOUNTDISABLE bit 0x2 → accountEnabled). No value → no value.
    case bitsClear(String, mask: Int)
    /// "true" when all of `mask`'s bits are set, else "false".
    case bitsSet(String, mask: Int)
    /// Each value cut at `separator` into several values.
    case split(FlowExpression, separator: String)
    /// All values joined into one with `separator`.
    case join(FlowExpression, separator: String)
    /// The DN values of an attribute, resolved to the metaverse objects they name ("mv:<id>");
    /// DNs that name nothing in the connector space are dropped.
    case reference(String)

    /// Evaluates against `attributes`; `resolve` turns a DN into a metaverse reference, when it can.
    func evaluate(_ attributes: AttributeMap, resolve: (String) throws -> String?) rethrows -> [String] {
        switch self {
        case .attribute(let name):
            return attributes[name] ?? []
        case .constant(let value):
            return [value]
        case .coalesce(let choices):
            for choice in choices {
                let values = try choice.evaluate(attributes, resolve: resolve)
                if !values.isEmpty { return values }
            }
            return []
        case .concat(let parts, let separator):
            // Parts without a value are left out; constants alone (separators) make no value.
            let values = try parts.map { try $0.evaluate(attributes, resolve: resolve).first ?? "" }
            let fromAttributes = zip(parts, values).contains { !$1.isEmpty && !$0.isConstant }
            guard fromAttributes || !parts.contains(where: { !$0.isConstant }) else { return [] }
            let joined = values.filter { !$0.isEmpty }.joined(separator: separator).trimmingCharacters(in: .whitespaces)
            return joined.isEmpty ? [] : [joined]
        case .lower(let inner):
            return try inner.evaluate(attributes, resolve: resolve).map { $0.lowercased() }
        case .upper(let inner):
            return try inner.evaluate(attributes, resolve: resolve).map { $0.uppercased() }
        case .bitsClear(let name, let mask):
            guard let raw = attributes[name]?.first, let value = Int(raw) else { return [] }
            return [value & mask == 0 ? "true" : "false"]
        case .bitsSet(let name, let mask):
            guard let raw = attributes[name]?.first, let value = Int(raw) else { return [] }
            return [value & mask == mask ? "true" : "false"]
        case .split(let inner, let separator):
            return try inner.evaluate(attributes, resolve: resolve).flatMap { $0.components(separatedBy: separator) }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .join(let inner, let separator):
            let values = try inner.evaluate(attributes, resolve: resolve)
            return values.isEmpty ? [] : [values.joined(separator: separator)]
        case .reference(let name):
            return try (attributes[name] ?? []).compactMap(resolve)
        }
    }
}

extension FlowExpression {
    var isConstant: Bool { if case .constant = self { true } else { false } }
}

/// One attribute flow: `target` gets the values of `expression`.
public struct AttributeFlow: Sendable, Equatable {
    public var target: String
    public var expression: FlowExpression
    public init(_ target: String, _ expression: FlowExpression) { self.target = target; self.expression = expression }
}

/// Metaverse reference values: "mv:<id>". Target objects the engine did not create are named "id:<target id>".
enum Reference {
    static func metaverse(_ id: Int64) -> String { "mv:\(id)" }
    static func metaverseID(_ value: String) -> Int64? {
        value.hasPrefix("mv:") ? Int64(value.dropFirst(3)) : nil
    }
    static func target(_ id: String) -> String { "id:\(id)" }
    static func targetID(_ value: String) -> String? {
        value.hasPrefix("id:") ? String(value.dropFirst(3)) : nil
    }
}
