/// The functions that see an attribute's values as a whole rather than one by one.
enum Collections {
    /// Item(attribute, index): the value at the 1-based `index` (Entra: "Item([proxyAddresses], 1) returns
    /// the first item"); out of range gives no value.
    static func item(_ arguments: Arguments) throws(ExpressionError) -> [String] {
        let index = try arguments.requiredInteger(1, of: .item, "the index")
        let values = arguments.all(0)
        return index >= 1 && index <= values.count ? [values[index - 1]] : []
    }

    /// Join(separator, source1, source2, …): every value of every source, in order, joined into one;
    /// sources without a value are left out, and nothing to join gives no value.
    static func join(_ arguments: Arguments) -> [String] {
        let separator = arguments.first(0) ?? ""
        let values = (1..<arguments.values.count).flatMap { arguments.all($0) }.filter { !$0.isEmpty }
        return values.isEmpty ? [] : [values.joined(separator: separator)]
    }

    /// RemoveDuplicates(attribute): each value once (compared exactly), in the order first seen.
    static func removeDuplicates(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
