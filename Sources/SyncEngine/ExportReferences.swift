import SyncStore

/// Attributes with their references resolved: the map in the target's terms (reference attributes hold
/// target ids), the references that cannot be resolved yet, and the object type of each resolved id
/// (members are written with their type's URI).
typealias ResolvedAttributes = (AttributeMap, Set<Reference>, [String: ObjectType])

extension ExportPlanner {
    /// The references of a whole part of a batch, resolved in one read: each object's desired state and,
    /// for an object the target holds, what was exported.
    func resolveReferences(_ part: some Collection<(PendingExport, CSObject)>, _ reader: any StoreReader) throws
        -> [(desired: ResolvedAttributes, before: AttributeMap?)] {
        try part.map { export, object in
            (desired: try resolve(export.attributes, export.references, reader),
             before: object.anchor == nil ? nil : try resolve(object.attributes, object.references, reader).0)
        }
    }

    /// Turns references into target ids beside the plain values; returns the references that cannot be
    /// resolved yet (a metaverse object the target does not hold yet), and the object type of each
    /// resolved id.
    func resolve(_ attributes: AttributeMap, _ references: ReferenceMap, _ reader: any StoreReader) throws -> ResolvedAttributes {
        var resolved = attributes, unresolved = Set<Reference>(), types: [String: ObjectType] = [:]
        for (name, values) in references {
            resolved[name] = try values.compactMap { reference in
                switch reference {
                case .target(let id):
                    return id
                case .metaverse(let mvID):
                    if let referenced = try reader.anchor(connector: target.name, mvID: mvID), let anchor = referenced.anchor {
                        types[anchor] = referenced.objectType
                        return anchor
                    }
                    unresolved.insert(reference)
                    return nil
                }
            }
        }
        return (resolved.normalized, unresolved, types)
    }
}
