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
            let firsts = try parts.compactMap { try $0.evaluate(attributes, resolve: resolve).first }.filter { !$0.isEmpty }
            return firsts.isEmpty ? [] : [firsts.joined(separator: separator)]
        case .lower(let inner):
            return try inner.evaluate(attributes, resolve: resolve).map { $0.lowercased() }
        case .upper(let inner):
            return try inner.evaluate(attributes, resolve: resolve).map { $0.uppercased() }
        case .bitsClear(let name, let mask):
            guard let raw = attributes[name]?.first, let value = Int(raw) else { return [] }
            return [value & mask == 0 ? "true" : "false"]
        case .reference(let name):
            return try (attributes[name] ?? []).compactMap(resolve)
        }
    }
}

/// One attribute flow: `target` gets the values of `expression`.
public struct AttributeFlow: Sendable, Equatable {
    public var target: String
    public var expression: FlowExpression
    public init(_ target: String, _ expression: FlowExpression) { self.target = target; self.expression = expression }
}

/// The flows of one direction for each object type.
public struct FlowSet: Sendable {
    public var flows: [ObjectType: [AttributeFlow]]

    /// Applies the flows of `type` to `attributes`.
    func apply(to attributes: AttributeMap, type: ObjectType, resolve: (String) throws -> String?) rethrows -> AttributeMap {
        var result: AttributeMap = [:]
        for flow in flows[type] ?? [] {
            let values = try flow.expression.evaluate(attributes, resolve: resolve)
            if !values.isEmpty { result[flow.target] = values }
        }
        return result
    }
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
