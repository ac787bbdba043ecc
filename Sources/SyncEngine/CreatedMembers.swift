import SCIM
import SyncStore

/// A group created with members is checked against what the target holds: some servers answer a POST with
/// the group and none of its members (mitol-django-scim), and take members only by PATCH. The members the
/// create left out are added at once, rather than being noticed by chance a cycle later.
struct CreatedMembers: Sendable {
    let target: any ExportTarget
    let calls: TargetCalls

    /// The members `body` asked for (their entries, by value).
    static func requested(_ body: JSON) -> [String: JSON] {
        var entries: [String: JSON] = [:]
        for entry in body.value(forAttribute: "members")?.arrayValue ?? [] {
            if let value = entry.value(forAttribute: "value")?.stringValue { entries[value] = entry }
        }
        return entries
    }

    /// What became of a group create that was answered with `id`: `answer` is the created resource when the
    /// server sent it back (a single POST), nil when it did not (a Bulk operation), and then it is read.
    func check(_ item: ExportWork, body: JSON, id: String, answer: JSON?) async throws -> ExportOutcome {
        guard item.object.objectType == .group else { return .ok(id: id) }
        let requested = Self.requested(body)
        guard !requested.isEmpty else { return .ok(id: id) }
        do {
            let held: JSON
            if let answer, answer.value(forAttribute: "members") != nil {
                held = answer
            } else {
                held = try await calls.call(perObject: true) { try await target.get(.group, id: id) }
            }
            let kept = Set(Self.requested(held).keys)
            let ignored = requested.filter { !kept.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
            guard !ignored.isEmpty else { return .ok(id: id) }
            try await calls.call(perObject: true) {
                try await target.patch(.group, id: id, [SCIMPatchOperation(.add, path: "members", value: .array(ignored))])
            }
            return .ok(id: id)
        } catch let error as SCIMError {
            return .createdWithoutMembers(id: id, "created as \(id), but its members could not be checked or added: \(error)")
        }
    }
}
