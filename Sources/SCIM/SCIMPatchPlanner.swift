extension SCIMResourceCodec {
    /// The PATCH operations (RFC 7644 §3.5.2) that turn `old` into `new`: only the changed attributes and
    /// sub-attributes, a removal as `remove` with the path.
    ///
    /// Elements selected by a filter change by that filter, leaving the elements idsync does not manage
    /// alone: one element before and after → `replace emails[type eq "work"].value` per changed
    /// sub-attribute (`remove` for one no longer given); otherwise `remove emails[type eq "work"]` and `add
    /// emails` with the new elements. The unfiltered elements (`emails`) cannot be addressed: a change to
    /// them replaces the attribute's whole list, as does `replaceWholeLists` for a server that refuses
    /// filtered paths.
    public func patchOperations(from old: [String: [String]], to new: [String: [String]],
                                replaceWholeLists: Bool = false) -> [SCIMPatchOperation] {
        let old = Self.cleaned(old), new = Self.cleaned(new)
        // Grouped only when an element-wise attribute changed: most updates change a plain attribute or two.
        var grouped: (old: ElementGroups, new: ElementGroups)?
        var operations: [SCIMPatchOperation] = []
        var listsDone: Set<AttributeKey> = []
        for key in Set(old.keys).union(new.keys).sorted() where old[key] != new[key] {
            let layout = layout(key)
            if layout.shape == .elements {
                let attribute = AttributeKey(layout.path)
                guard listsDone.insert(attribute).inserted else { continue }
                let groups = grouped ?? (ElementGroups(old, codec: self), ElementGroups(new, codec: self))
                grouped = groups
                operations += elementOperations(layout.path.wholeAttribute, groups.old.groups(of: attribute),
                                                groups.new.groups(of: attribute), replaceWholeLists: replaceWholeLists)
            } else if let values = new[key] {
                operations.append(SCIMPatchOperation(.replace, path: layout.path.patchPath, value: value(layout, values)))
            } else {
                operations.append(SCIMPatchOperation(.remove, path: layout.path.patchPath))
            }
        }
        return operations
    }

    private func elementOperations(_ attribute: SCIMPath, _ old: [ElementGroups.Key: ElementGroups.Group],
                                   _ new: [ElementGroups.Key: ElementGroups.Group], replaceWholeLists: Bool) -> [SCIMPatchOperation] {
        let changed = Set(old.keys).union(new.keys).filter { (old[$0]?.flat ?? [:]) != (new[$0]?.flat ?? [:]) }
        if replaceWholeLists || changed.contains(where: { $0.filter == nil }) {
            let elements = ElementGroups.ordered(new.values).flatMap { $0.elements(codec: self) }
            return elements.isEmpty ? [SCIMPatchOperation(.remove, path: attribute.attributePatchPath)]
                : [SCIMPatchOperation(.replace, path: attribute.attributePatchPath, value: .array(elements))]
        }
        var operations: [SCIMPatchOperation] = []
        let ordered = changed.sorted { ($0.filter.map(\.text) ?? "") < ($1.filter.map(\.text) ?? "") }
        for key in ordered {
            let before = old[key], after = new[key]
            if let before, let after, before.count == 1, after.count == 1, !hasImmutableChange(before, after) {
                operations += subAttributeOperations(before, after)
                continue
            }
            if let before, before.count > 0 { operations.append(SCIMPatchOperation(.remove, path: before.path.elementsPatchPath)) }
            if let after, after.count > 0 {
                operations.append(SCIMPatchOperation(.add, path: attribute.attributePatchPath, value: .array(after.elements(codec: self))))
            }
        }
        return operations
    }

    /// Whether a changed sub-attribute cannot be changed in place (the element is then replaced whole).
    private func hasImmutableChange(_ before: ElementGroups.Group, _ after: ElementGroups.Group) -> Bool {
        guard let catalog else { return false }
        let beforeValues = before.flat, afterValues = after.flat
        return (before.members + after.members).contains { member in
            let sub = member.layout.elementSubAttribute.lowercased()
            return beforeValues[sub] != afterValues[sub]
                && catalog.valueDefinition(member.layout.path, in: resourceType)?.mutability == .immutable
        }
    }

    /// One selected element on both sides: each changed sub-attribute by its own filtered path.
    private func subAttributeOperations(_ before: ElementGroups.Group, _ after: ElementGroups.Group) -> [SCIMPatchOperation] {
        let beforeValues = before.flat, afterValues = after.flat
        let layouts = Dictionary((before.members + after.members).map { ($0.layout.elementSubAttribute.lowercased(), $0.layout) },
                                 uniquingKeysWith: { $1 })
        return layouts.keys.sorted().compactMap { sub in
            guard let layout = layouts[sub], beforeValues[sub] != afterValues[sub] else { return nil }
            if let value = afterValues[sub]?.first {
                return SCIMPatchOperation(.replace, path: layout.path.patchPath, value: layout.json(value))
            }
            return SCIMPatchOperation(.remove, path: layout.path.patchPath)
        }
    }
}
