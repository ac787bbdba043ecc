internal import CLDAP

/// C copies of a request's arguments (strings, bervals, controls, LDAPMod arrays), all freed together when
/// the arena goes.
///
/// libldap encodes a request into its own buffer before `ldap_*_ext` returns, so the copies only have to
/// outlive that call: one arena per request, no per-field bookkeeping, nothing to forget to free.
final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for allocation in allocations {
            allocation.deallocate()
        }
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    /// A NUL-terminated copy of `string`.
    func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(string.utf8CString)
        let pointer = allocate(CChar.self, count: utf8.count)
        pointer.initialize(from: utf8, count: utf8.count)
        return pointer
    }

    /// A `berval` holding a copy of `bytes`.
    func berval(_ bytes: [UInt8]) -> UnsafeMutablePointer<CLDAP.berval> {
        let storage = allocate(CChar.self, count: bytes.count)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(storage).copyMemory(from: source.baseAddress ?? UnsafeRawPointer(storage),
                                                        byteCount: source.count)
        }
        let value = allocate(CLDAP.berval.self, count: 1)
        value.initialize(to: CLDAP.berval(bv_len: ber_len_t(bytes.count), bv_val: storage))
        return value
    }

    /// A NULL-terminated array of `elements`, as libldap takes lists.
    func nullTerminated<T>(_ elements: [UnsafeMutablePointer<T>]) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?> {
        let array = allocate(UnsafeMutablePointer<T>?.self, count: elements.count + 1)
        for (index, element) in elements.enumerated() {
            (array + index).initialize(to: element)
        }
        (array + elements.count).initialize(to: nil)
        return array
    }

    /// An attribute list for a search; `nil` (all user attributes) when empty.
    func stringList(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        strings.isEmpty ? nil : nullTerminated(strings.map(cString))
    }

    /// Request controls; `nil` when there are none.
    func controls(_ controls: [LDAPControl]) -> UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>? {
        guard !controls.isEmpty else { return nil }
        return nullTerminated(controls.map { control in
            let pointer = allocate(CLDAP.LDAPControl.self, count: 1)
            pointer.initialize(to: CLDAP.LDAPControl(
                ldctl_oid: cString(control.oid),
                // No value is a NULL bv_val, which libldap leaves out of the encoding.
                ldctl_value: control.value.map { berval($0).pointee } ?? CLDAP.berval(bv_len: 0, bv_val: nil),
                ldctl_iscritical: control.critical ? 1 : 0
            ))
            return pointer
        })
    }

    /// An `LDAPMod` array of binary values (`LDAP_MOD_BVALUES`), so values are sent byte for byte.
    func modifications(_ modifications: [LDAPModification]) -> UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?> {
        nullTerminated(modifications.map { modification in
            let pointer = allocate(LDAPMod.self, count: 1)
            // An empty value list is a NULL array: "the whole attribute" for delete and replace.
            let values = modification.values.isEmpty ? nil : nullTerminated(modification.values.map(berval))
            pointer.initialize(to: LDAPMod(
                mod_op: modification.operation.libldapValue | LDAP_MOD_BVALUES,
                mod_type: cString(modification.attribute),
                mod_vals: .init(modv_bvals: values)
            ))
            return pointer
        })
    }
}

extension LDAPModification.Operation {
    var libldapValue: Int32 {
        switch self {
        case .add: LDAP_MOD_ADD
        case .delete: LDAP_MOD_DELETE
        case .replace: LDAP_MOD_REPLACE
        }
    }
}
