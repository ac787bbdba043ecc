import SyncStore

/// One sync rule, as Entra Connect's rules editor has them: for one object type, inbound (a directory's
/// connector space → metaverse) or outbound (metaverse → the target), with a scope, join rules and
/// projection (inbound), a precedence, and attribute flows.
public struct SyncRule: Sendable {
    public enum Direction: String, Sendable { case inbound, outbound }
    public var name: String
    public var direction: Direction
    /// The connector it applies to: inbound, a source; outbound, a target (nil: every source / every target).
    public var connector: String?
    public var objectType: ObjectType
    public var scope = RuleScope()
    /// Inbound: tried in order for an object not yet joined; the first that finds exactly one metaverse
    /// object joins it.
    public var joins: [JoinRule] = []
    /// Inbound: whether an object no join rule matched becomes a new metaverse object.
    public var projection = true
    /// When two rules flow one attribute, the lower number wins.
    public var precedence = 100
    public var flows: [AttributeFlow]
    /// One of idsync's built-in rules (no rules file gives this section), not one an admin wrote.
    public var isBuiltIn = false
    /// Each flow's expression as the rules file writes it (for `idsync rules show`).
    public var flowTexts: [String: String] = [:]

    public init(name: String, direction: Direction, connector: String? = nil, objectType: ObjectType, flows: [AttributeFlow]) {
        self.name = name; self.direction = direction; self.connector = connector; self.objectType = objectType; self.flows = flows
    }
}

/// Which objects a rule applies to; every condition given must hold.
public struct RuleScope: Sendable {
    /// The object's DN is at or under one of these.
    public var containers: [String] = []
    /// Evaluated on the object's attributes (connector space inbound, metaverse outbound).
    public var filter: LDAPFilter?
    /// `filter` as written.
    public var filterText: String?
    /// Inbound: the object is a direct member of one of these groups (by DN). Outbound: the metaverse
    /// object is a member of one of these source groups (by DN), directly or through nested groups — Entra's
    /// "assigned users and groups"; a group is in scope when it is one of them or nested in one.
    public var memberOf: [String] = []
    public init() {}
}

/// Joins an object to the metaverse object whose `metaverseAttribute` equals the value of `source`.
public struct JoinRule: Sendable {
    public var source: FlowExpression
    public var metaverseAttribute: String
}

/// The rules in force.
public struct RuleSet: Sendable {
    public var rules: [SyncRule]

    public init(rules: [SyncRule]) { self.rules = rules }

    func inbound(connector: String, type: ObjectType) -> [SyncRule] {
        rules.filter { $0.direction == .inbound && $0.objectType == type && ($0.connector == nil || $0.connector == connector) }
    }

    /// The outbound rules for one target connector and object type.
    func outbound(type: ObjectType, connector: String) -> [SyncRule] {
        rules.filter { $0.direction == .outbound && $0.objectType == type && ($0.connector == nil || $0.connector == connector) }
    }

    /// The outbound rules in force for a target connector, in file order.
    public func outbound(connector: String) -> [SyncRule] {
        rules.filter { $0.direction == .outbound && ($0.connector == nil || $0.connector == connector) }
    }

    /// The source groups (by DN) whose transitive members some outbound rule of `connector` scopes to.
    func scopingGroups(connector: String) -> Set<String> {
        Set(outbound(connector: connector).flatMap(\.scope.memberOf))
    }

    /// What an inbound rule of `connector` reads from its directory: every attribute its flows, joins and scope
    /// filter name (binary ones inside `base64()`), and the DN-valued ones of `ref()` flows.
    public func sourceAttributes(connector: String) -> SourceAttributes {
        var text: [String] = [], binary: [String] = [], references: [String] = []
        for rule in rules where rule.direction == .inbound && (rule.connector == nil || rule.connector == connector) {
            for (name, encoding) in rule.attributesRead.sorted(by: { $0.key < $1.key }) {
                if encoding == .base64 { binary.append(name) } else { text.append(name) }
            }
            references += rule.flows.compactMap { if case .reference(let name) = $0.expression { name } else { nil } }
        }
        return SourceAttributes(text: text, binary: binary, references: references)
    }

    /// The metaverse attributes inbound flows give plain values (every flow but `ref()`).
    public var valueAttributes: Set<String> {
        Set(rules.filter { $0.direction == .inbound }.flatMap { rule in
            rule.flows.compactMap { if case .reference = $0.expression { nil } else { $0.target } }
        })
    }

    /// The metaverse attributes that hold references (the targets of inbound `ref()` flows: manager, member).
    public var referenceAttributes: Set<String> {
        Set(rules.filter { $0.direction == .inbound }.flatMap { rule in
            rule.flows.compactMap { if case .reference = $0.expression { $0.target } else { nil } }
        })
    }
}

extension SyncRule {
    /// Every attribute the rule reads from the object it applies to: its flows, its joins, its scope filter.
    public var attributesRead: [String: AttributeEncoding] {
        var names: [String: AttributeEncoding] = [:]
        let expressions = flows.map(\.expression) + joins.map(\.source)
        for expression in expressions {
            names.merge(expression.attributeNames) { old, new in old == .base64 || new == .base64 ? .base64 : .text }
        }
        for name in scope.filter?.attributes ?? [] where names[name] == nil { names[name] = .text }
        return names
    }
}

/// A flow that cannot compute its value for one object: the rule, the attribute it writes, and why.
public struct FlowError: Error, CustomStringConvertible, Sendable {
    public let rule: String
    public let attribute: String
    public let reason: String
    public var description: String { "rule \"\(rule)\", flow to \(attribute): \(reason)" }
}
