import Foundation
import SyncStore

/// How one attribute's values are computed from an object's attributes (an attribute flow's source).
/// Kept as data, not code, so rule sets can be written in configuration.
///
/// Every expression yields a list of strings (an attribute may hold several values); no value is the
/// empty list, and an attribute whose expression yields no value is not flowed.
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
    /// All values joined into one with `separator` (idsync's `join(x, ',')`).
    case join(FlowExpression, separator: String)
    /// The DN values of an attribute, resolved to the metaverse objects they name (typed references, see
    /// `RuleSet.apply`); DNs that name nothing in the connector space are dropped.
    case reference(String)
    /// `base64(attr)`: a binary attribute (objectSid, thumbnailPhoto), which the import keeps as base64 text.
    case binary(String)
    /// A regular expression given as a constant, compiled when the rules load; as a value, its pattern.
    case regex(RegexPattern)
    /// One of the Entra provisioning functions; `nil` is an argument left out (`Replace(x, , "^a", , "", , )`).
    case call(ExpressionFunction, [FlowExpression?])
    /// The first candidate's first value that is not taken in the target (Entra's SelectUniqueValue; only
    /// ever a whole expression, as in Entra, since only a flow's target can say what is taken).
    case selectUniqueValue([FlowExpression])
}

/// What an evaluation may ask of the engine.
public struct EvaluationContext: Sendable {
    /// Whether a value is already taken in the target (SelectUniqueValue). Without it, nothing is taken.
    public var isTaken: (@Sendable (String) throws -> Bool)?
    public init(isTaken: (@Sendable (String) throws -> Bool)? = nil) { self.isTaken = isTaken }
}

/// A function that cannot compute its value from the object's values, e.g. `DateFromNum: "abc" is not a number`.
public struct ExpressionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The function, as documented (`DateFromNum`).
    public let function: String
    public let reason: String
    public init(_ function: String, _ reason: String) { self.function = function; self.reason = reason }
    public var description: String { "\(function): \(reason)" }
}

/// How the import must read an attribute an expression names.
public enum AttributeEncoding: String, Sendable, Equatable {
    /// As text (UTF-8).
    case text
    /// Raw bytes, kept as base64 text: the attribute is named inside `base64()`.
    case base64
}

extension FlowExpression {
    /// Evaluates against `attributes`. `ref(attr)` gives the attribute's DN values unchanged: the caller
    /// resolves references. Throws ``ExpressionError`` when a function cannot compute its value, and what
    /// `context.isTaken` throws.
    public func evaluate(_ attributes: AttributeMap, context: EvaluationContext) throws -> [String] {
        try values(attributes, isTaken: { try context.isTaken?($0) ?? false })
    }

    /// Every attribute the expression reads, and how: base64 when it is read inside `base64()` anywhere in it.
    public var attributeNames: [String: AttributeEncoding] {
        var names: [String: AttributeEncoding] = [:]
        collectAttributeNames(into: &names)
        return names
    }

    private func collectAttributeNames(into names: inout [String: AttributeEncoding]) {
        switch self {
        case .attribute(let name), .reference(let name), .bitsClear(let name, _), .bitsSet(let name, _):
            if names[name] == nil { names[name] = .text }
        case .binary(let name):
            names[name] = .base64
        case .constant, .regex:
            break
        case .coalesce(let parts), .concat(let parts, _), .selectUniqueValue(let parts):
            for part in parts { part.collectAttributeNames(into: &names) }
        case .lower(let inner), .upper(let inner), .split(let inner, _), .join(let inner, _):
            inner.collectAttributeNames(into: &names)
        case .call(_, let arguments):
            for argument in arguments { argument?.collectAttributeNames(into: &names) }
        }
    }

    /// The evaluator: `isTaken` answers SelectUniqueValue; a function that cannot compute its value throws.
    func values(_ attributes: AttributeMap, isTaken: (String) throws -> Bool) throws -> [String] {
        switch self {
        case .attribute(let name), .binary(let name):
            return attributes[name] ?? []
        case .constant(let value):
            return [value]
        case .regex(let pattern):
            return [pattern.pattern]
        case .coalesce(let choices):
            for choice in choices {
                let values = try choice.values(attributes, isTaken: isTaken)
                if !values.isEmpty { return values }
            }
            return []
        case .concat(let parts, let separator):
            // Parts without a value are left out; constants alone (separators) make no value.
            let values = try parts.map { try $0.values(attributes, isTaken: isTaken).first ?? "" }
            let fromAttributes = zip(parts, values).contains { !$1.isEmpty && !$0.isConstant }
            guard fromAttributes || !parts.contains(where: { !$0.isConstant }) else { return [] }
            let joined = values.filter { !$0.isEmpty }.joined(separator: separator).trimmingCharacters(in: .whitespaces)
            return joined.isEmpty ? [] : [joined]
        case .lower(let inner):
            return try inner.values(attributes, isTaken: isTaken).map { $0.lowercased() }
        case .upper(let inner):
            return try inner.values(attributes, isTaken: isTaken).map { $0.uppercased() }
        case .bitsClear(let name, let mask):
            guard let raw = attributes[name]?.first, let value = Int(raw) else { return [] }
            return [value & mask == 0 ? "true" : "false"]
        case .bitsSet(let name, let mask):
            guard let raw = attributes[name]?.first, let value = Int(raw) else { return [] }
            return [value & mask == mask ? "true" : "false"]
        case .split(let inner, let separator):
            return try inner.values(attributes, isTaken: isTaken)
                .flatMap { $0.components(separatedBy: separator) }
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .join(let inner, let separator):
            let values = try inner.values(attributes, isTaken: isTaken)
            return values.isEmpty ? [] : [values.joined(separator: separator)]
        case .reference(let name):
            return attributes[name] ?? []
        case .selectUniqueValue(let candidates):
            var tried: [String] = []
            for candidate in candidates {
                let values = try candidate.values(attributes, isTaken: isTaken)
                guard let value = values.first(where: { !$0.isEmpty }) else { continue }
                if try !isTaken(value) { return [value] }
                tried.append(value)
            }
            guard tried.isEmpty else {
                throw ExpressionError("SelectUniqueValue", "every candidate is taken: \(tried.map { "\"\($0)\"" }.joined(separator: ", "))")
            }
            return []
        case .call(let function, let arguments):
            let evaluated = try arguments.map { argument in
                try argument.map { try $0.values(attributes, isTaken: isTaken) }
            }
            return try function.apply(Arguments(values: evaluated, expressions: arguments))
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
