/// One change to one attribute in a modify request (RFC 4511 §4.6).
public struct LDAPModification: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// Adds the values; fails if one exists already.
        case add
        /// Removes the values, or the whole attribute when `values` is empty.
        case delete
        /// Sets the attribute to exactly these values; an empty list removes it.
        case replace
    }

    public var operation: Operation
    public var attribute: String
    public var values: [LDAPValue]

    public init(_ operation: Operation, _ attribute: String, _ values: [LDAPValue]) {
        self.operation = operation
        self.attribute = attribute
        self.values = values
    }
}
