import Foundation
import SCIM

/// `idsync connector probe`: what a SCIM target says it supports, how the export will talk to it because of
/// that, and — with the write test — what it really does with a throwaway user and group.
public struct TargetProbe: Sendable {
    /// One request of the write test and what came of it.
    public struct Step: Sendable {
        public let request: String
        public let outcome: String
        public let succeeded: Bool
    }

    public struct Report: Sendable {
        public let url: String
        public let profile: SCIMServiceProfile
        /// How the export talks to this target, one sentence each.
        public let plan: [String]
        /// Empty without the write test.
        public let steps: [Step]
    }

    let target: SCIMTargetConnector

    public init(_ target: SCIMTargetConnector) { self.target = target }

    /// Reads the target's profile; with `writeTest`, creates, reads, changes and deletes a user and a group
    /// named `idsync-probe-…` (deleting what it created even when a step before failed).
    public func run(writeTest: Bool) async throws -> Report {
        let profile = try await target.profile()
        let steps = writeTest ? await WriteTest(client: target.client).run() : []
        return Report(url: target.client.configuration.baseURL, profile: profile,
                      plan: Self.plan(profile, concurrency: target.concurrency), steps: steps)
    }

    /// The export's choices for a target with this profile, in the order it makes them.
    static func plan(_ profile: SCIMServiceProfile, concurrency: Int) -> [String] {
        let features = profile.features
        var plan: [String] = []
        plan.append(features.bulkSupported
            ? "changes go in Bulk requests of up to \(features.bulkMaxOperations) operations"
            : "one request per object, up to \(concurrency) at once (no usable Bulk)")
        plan.append(features.filterSupported
            ? "an object idsync has not created yet is looked for by filter (externalId, then userName); a run with "
                + "\(Export.listingThreshold) creates or more lists the target once instead"
            : "an object idsync has not created yet is looked for in one listing of the target per run (no filter)")
        switch profile.capabilities.patch {
        case false?: plan.append("updates are sent as PATCH, which this target says it does not support: they will fail")
        case nil: plan.append("updates are sent as PATCH (the target does not say whether it supports it)")
        case true?: plan.append("updates are sent as PATCH, only the attributes that changed")
        }
        plan.append("a member leaves a group by a PATCH remove with a value filter; if the target refuses that, the "
                    + "member list is replaced instead")
        plan.append(profile.catalog == nil
            ? "values are shaped as RFC 7643's core schemas say (the target serves no readable /Schemas)"
            : "values are shaped by the target's own schemas, and rules are checked against them (`idsync rules check`)")
        return plan
    }
}

/// The write test's requests. Each step reports the status or the error as the target gave it.
private struct WriteTest {
    let client: SCIMClient
    let tag = "idsync-probe-" + UUID().uuidString.prefix(8).lowercased()

    func run() async -> [TargetProbe.Step] {
        var steps: [TargetProbe.Step] = []
        func step(_ request: String, _ body: () async throws -> String) async -> Bool {
            do {
                steps.append(.init(request: request, outcome: try await body(), succeeded: true))
                return true
            } catch {
                steps.append(.init(request: request, outcome: "\(error)", succeeded: false))
                return false
            }
        }
        var userID: String?, groupID: String?
        _ = await step("POST /Users \(tag)") {
            let created = try await client.create(.users, [
                "schemas": [.string(SCIMResourceType.users.coreSchema)], "userName": .string(tag), "externalId": .string(tag),
                "name": ["givenName": "Probe", "familyName": "Idsync"], "displayName": "idsync probe", "active": .bool(true),
            ])
            userID = created["id"]?.stringValue
            return "created, id \(userID ?? "?")"
        }
        if let userID {
            _ = await step("GET /Users/\(userID)") {
                let read = try await client.get(.users, id: userID)
                let kept = read.value(forAttribute: "userName")?.stringValue == tag && read.value(forAttribute: "externalId")?.stringValue == tag
                return kept ? "userName and externalId as sent" : "userName or externalId not as sent: \(read.value(forAttribute: "userName")?.stringValue ?? "none")"
            }
            _ = await step("PATCH /Users/\(userID) replace displayName") {
                try await client.patch(.users, id: userID, [SCIMPatchOperation(.replace, path: "displayName", value: "idsync probe, changed")])
                let read = try await client.get(.users, id: userID)
                return read.value(forAttribute: "displayName")?.stringValue == "idsync probe, changed" ? "changed" : "accepted, but displayName did not change"
            }
            _ = await step("POST /Groups \(tag) with the user as member") {
                let created = try await client.create(.groups, [
                    "schemas": [.string(SCIMResourceType.groups.coreSchema)], "displayName": .string(tag),
                    "members": [["value": .string(userID)]],
                ])
                groupID = created["id"]?.stringValue
                let members = try await client.get(.groups, id: groupID ?? "").value(forAttribute: "members")?.arrayValue ?? []
                return "created, id \(groupID ?? "?"); " + (members.isEmpty ? "the member was ignored (it must be added by PATCH)" : "the member was kept")
            }
        }
        if let groupID, let userID {
            _ = await step("PATCH /Groups/\(groupID) remove members[value eq \"\(userID)\"]") {
                try await client.patch(.groups, id: groupID, [SCIMPatchOperation(.remove, path: "members[value eq \"\(userID)\"]")])
                return "accepted"
            }
            _ = await step("DELETE /Groups/\(groupID)") { try await client.delete(.groups, id: groupID); return "deleted" }
        }
        if let userID {
            _ = await step("DELETE /Users/\(userID)") {
                try await client.delete(.users, id: userID)
                do {
                    let left = try await client.get(.users, id: userID)
                    return "accepted, but the user is still there (active: \(left.value(forAttribute: "active")?.boolValue.map(String.init) ?? "not said")): a soft delete"
                } catch let error as SCIMError where error.isNotFound {
                    return "deleted"
                }
            }
        }
        return steps
    }
}
