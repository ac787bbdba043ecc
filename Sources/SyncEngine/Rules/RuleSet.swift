import SyncStore

/// One sync rule, as Entra Connect's rules editor has them: for one object type, inbound (a directory's
/// connector space → metaverse) or outbound (metaverse → the target), with a scope, join rules and
/// projection (inbound), a precedence, and attribute flows.
public struct SyncRule: Sendable {
    public enum Direction: String, Sendable { case inbound, outbound }
    public var name: String
    public var direction: Direction
    /// Inbound: the source connector it applies to (nil: every source).
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
    /// Inbound: the object is a direct member of one of these groups (by DN).
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

    func outbound(type: ObjectType) -> [SyncRule] {
        rules.filter { $0.direction == .outbound && $0.objectType == type }
    }

    /// Applies `rules` to `attributes`: for each attribute, the values of the rule with the lowest precedence
    /// number that gives it any (Entra's precedence).
    static func flow(_ rules: [SyncRule], _ attributes: AttributeMap, resolve: (String) throws -> String?) rethrows
        -> [String: (precedence: Int, values: [String])] {
        var result: [String: (precedence: Int, values: [String])] = [:]
        for rule in rules {
            for flow in rule.flows {
                let values = try flow.expression.evaluate(attributes, resolve: resolve)
                guard !values.isEmpty else { continue }
                if let existing = result[flow.target], existing.precedence <= rule.precedence { continue }
                result[flow.target] = (rule.precedence, values)
            }
        }
        return result
    }
}
