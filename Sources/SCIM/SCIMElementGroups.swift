/// The flat attributes written as elements of multi-valued complex attributes, grouped by attribute and
/// filter: `emails[type eq "work"].value` and `emails[type eq "work"].primary` are one group, whose i-th
/// values make the i-th element `{"type": "work", "value": …, "primary": …}`.
struct ElementGroups {
    struct Key: Hashable {
        let attribute: AttributeKey
        let filter: SCIMPath.ValueFilter?
    }

    struct Group {
        /// The attribute and filter, without sub-attribute.
        let path: SCIMPath
        var members: [(layout: SCIMAttributeLayout, values: [String])] = []

        /// The elements: as many as the longest list of values.
        var count: Int { members.map(\.values.count).max() ?? 0 }

        /// Sub-attribute → values, to compare two states of a group.
        var flat: [String: [String]] {
            Dictionary(members.map { ($0.layout.elementSubAttribute.lowercased(), $0.values) }, uniquingKeysWith: { $1 })
        }

        func elements(codec: SCIMResourceCodec) -> [JSON] {
            let ordered = members.sorted { $0.layout.key < $1.layout.key }
            return (0..<count).map { index in
                var element: [String: JSON] = [:]
                if let filter = path.filter { element[filter.attribute] = filter.value }
                for (layout, values) in ordered where index < values.count {
                    let sub = layout.elementSubAttribute
                    if codec.referencePaths.contains(layout.key), sub == "value",
                       case .object(let reference) = codec.reference(layout.key, values[index]) {
                        element.merge(reference) { $1 }
                    } else {
                        element[sub] = layout.json(values[index])
                    }
                }
                return .object(element)
            }
        }
    }

    private(set) var groups: [Key: Group] = [:]

    init() {}

    /// The groups of every element-wise attribute of a flat map.
    init(_ attributes: [String: [String]], codec: SCIMResourceCodec) {
        for (key, values) in attributes {
            let layout = codec.layout(key)
            if layout.shape == .elements { add(layout, values) }
        }
    }

    mutating func add(_ layout: SCIMAttributeLayout, _ values: [String]) {
        let path = SCIMPath(schema: layout.path.schema, attribute: layout.path.attribute, filter: layout.path.filter)
        groups[Key(attribute: AttributeKey(path), filter: path.filter), default: Group(path: path)].members.append((layout, values))
    }

    func groups(of attribute: AttributeKey) -> [Key: Group] { groups.filter { $0.key.attribute == attribute } }

    /// Each attribute with all its elements: the unfiltered group first, then the filtered ones by filter.
    func elements(codec: SCIMResourceCodec) -> [(attribute: SCIMPath, elements: [JSON])] {
        let byAttribute = Dictionary(grouping: groups.values) { AttributeKey($0.path) }
        return byAttribute.values.map { groups in
            let ordered = Self.ordered(groups)
            return (ordered[0].path.wholeAttribute, ordered.flatMap { $0.elements(codec: codec) })
        }.sorted { $0.attribute.canonical < $1.attribute.canonical }
    }

    static func ordered(_ groups: some Sequence<Group>) -> [Group] {
        groups.sorted { ($0.path.filter == nil ? "" : $0.path.canonical) < ($1.path.filter == nil ? "" : $1.path.canonical) }
    }
}
