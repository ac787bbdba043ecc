import Logging
import NIOHTTP1
import SCIM
import SyncStore
import Synchronization

/// The export run profile: applies the target connector's pending exports, a batch at a time — through
/// SCIM Bulk where the server offers it, with bounded concurrency where it does not — and stores each
/// batch's outcome in one transaction. Users go before groups (a group's members must exist first) and
/// deletes go last. A new object that refers to another one not created yet waits for it, so it is created
/// complete in one request; where references form a cycle, it is created without them and a later pass
/// adds them once they exist.
struct Export {
    let store: any SyncStore
    let target: SCIMTargetConnector
    let logger: Logger
    /// The most deletions one export may send; more stops it before it sends anything.
    let deletionLimit: Int
    /// Records event 116 when the limit stops the export.
    let events: EventSink
    /// Pending exports prepared, sent and recorded together (one store transaction per batch)…
    var batchSize = 1000
    /// …and at most this many attribute values in them: a batch of large groups (members with their URIs)
    /// would otherwise hold a hundred megabytes of requests at once.
    var batchValues = 50_000
    var maxPasses = 10
    /// Bulk requests in flight at once: a second one is prepared by the server while the first is parsed.
    var bulkConcurrency = 2
    /// Requests in a row that got no answer: a few are one object's bad luck (a dropped connection), this
    /// many mean the service is down and the run stops.
    var transportFailureLimit = 5
    private let streak = FailureStreak()

    private enum Phase: CaseIterable { case users, groups, deletes }

    func run() async -> RunRecord {
        await RunRecorder.record(store: store, connector: target.name, profile: .export) { recorder in
            // The deletion threshold: an emptied OU or a broken scope must not empty the cloud directory.
            let (deletes, adds, total) = try store.read {
                (try $0.pendingExportCount(connector: target.name, operation: .delete),
                 try $0.pendingExportCount(connector: target.name, operation: .add),
                 try $0.pendingExportCount(connector: target.name))
            }
            if deletes > deletionLimit {
                let message = "The export to \(target.name) was stopped: \(deletes) deletions exceed the deletion threshold of "
                    + "\(deletionLimit). Nothing was exported. Check them with `idsync pending-exports`, then allow them for one "
                    + "run with `idsync sync --allow-deletes \(deletes)` or raise sync.deletion_threshold."
                events(EventRecord(eventID: 116, level: .error, source: "idsync-export", message: message))
                throw RunStop(status: .stoppedDeletionThreshold, message: message)
            }
            guard total > 0 else { return }
            var context = Context(features: try await scimCall { try await target.features() })
            // Many creates, or a server that cannot filter: read what the target holds once, not per object.
            if adds >= 100 || !context.features.filterSupported {
                context.index = try await scimCall { try await TargetIndex.load(target.client, features: context.features) }
            }
            // Objects that failed are not tried again in the same run: one error each, not one per pass.
            var failed = Set<Int64>()
            for pass in 1...maxPasses {
                var progress = false, waiting = false
                for phase in Phase.allCases {
                    var deferring = true, deferredBefore = Int.max
                    while true {
                        let outcome = try await runPhase(phase, context, recorder: recorder, failed: &failed, deferring: deferring)
                        progress = progress || outcome.progress
                        waiting = waiting || outcome.waiting
                        guard outcome.deferred > 0 else { break }
                        // Creates still wait and no fewer than before: they wait for each other (a reference cycle)
                        // or for objects that failed. Create them now; their references follow in a later pass.
                        if !outcome.progress || outcome.deferred >= deferredBefore { deferring = false }
                        deferredBefore = outcome.deferred
                    }
                }
                if !waiting || !progress { break }
                logger.debug("export pass done; references still waiting", metadata: ["pass": "\(pass)"])
            }
        }
    }

    private struct Context: Sendable {
        let features: SCIMFeatures
        var index: TargetIndex?
    }

    /// One walk over the pending exports of a phase, a batch at a time. The walk is a pipeline: while one
    /// part is being sent, the next is prepared, and the part before is recorded, so the target is never
    /// idle while idsync reads or writes its store. A part prepared while the one before it is in flight sees
    /// none of that part's new ids: what refers to them waits (deferred or patched later), as for any
    /// reference not resolved yet.
    private func runPhase(_ phase: Phase, _ context: Context, recorder: RunRecorder, failed: inout Set<Int64>, deferring: Bool)
        async throws -> (progress: Bool, waiting: Bool, deferred: Int) {
        var after: Int64 = 0, progress = false, waiting = false, deferred = 0
        var inFlight: (work: [Work], outcomes: Task<[Outcome], any Error>)?
        let exporter = self
        /// Waits for the part in flight, starts `next` (if any), then records the one that finished.
        func advance(to next: [Work]?) async throws {
            let finished = inFlight
            var outcomes: [Outcome] = []
            if let finished { outcomes = try await finished.outcomes.value }
            inFlight = next.map { work in (work, Task { try await exporter.execute(work, context) }) }
            guard let finished else { return }
            try store.write { writer in
                for (item, outcome) in zip(finished.work, outcomes) {
                    switch try record(item, outcome, writer: writer, recorder: recorder) {
                    case .done: progress = true
                    case .waitingForReferences: progress = true; waiting = true
                    case .failed: failed.insert(item.export.csID)
                    }
                }
            }
        }
        do {
            while true {
                let batch = try store.read { reader in
                    try reader.pendingExports(connector: target.name, after: after, limit: batchSize).compactMap { export in
                        try reader.csObject(id: export.csID).map { (export, $0) }
                    }
                }
                guard let last = batch.last?.0.csID else { break }
                after = last
                let mine = batch.filter { belongs($0.0, $0.1, to: phase) && !failed.contains($0.0.csID) }
                for part in mine.split(byWeight: batchValues, weight: { $0.0.attributes.values.reduce(0) { $0 + $1.count } }) {
                    // The references of the whole part, resolved in one read.
                    let resolved = try store.read { reader in
                        try part.map { export, object in
                            let references = SCIMMapping.referenceAttributes(object.objectType)
                            return (desired: try resolve(export.attributes, references, reader),
                                    before: object.anchor == nil ? nil : try resolve(object.attributes, references, reader).0)
                        }
                    }
                    var work: [Work] = []
                    for ((export, object), references) in zip(part, resolved) {
                        let item = try await prepare(export, object, references.desired, before: references.before, context, deferring: deferring)
                        if case .deferred = item.request { deferred += 1 } else { work.append(item) }
                    }
                    try await advance(to: work)
                }
            }
            try await advance(to: nil)
        } catch {
            // Nothing may still be writing to the target once the run has ended.
            inFlight?.outcomes.cancel()
            _ = try? await inFlight?.outcomes.value
            throw error
        }
        return (progress, waiting, deferred)
    }

    private func belongs(_ export: PendingExport, _ object: CSObject, to phase: Phase) -> Bool {
        switch phase {
        case .users: export.operation != .delete && object.objectType == .user
        case .groups: export.operation != .delete && object.objectType == .group
        case .deletes: export.operation == .delete
        }
    }

    // MARK: Preparing

    /// One pending export, ready to send.
    private struct Work: Sendable {
        let export: PendingExport
        let object: CSObject
        /// What the target holds once the request succeeds (references as metaverse ids, the unresolved left out).
        let written: AttributeMap
        let unresolved: Set<String>
        let types: [String: ObjectType]
        var request: Request
        /// A create that found the object in the target already (first contact): joined, then patched.
        var adoptedID: String?
    }

    private enum Request: Sendable {
        case create(JSON)
        case patch(id: String, [SCIMPatchOperation], old: AttributeMap, new: AttributeMap)
        case delete(id: String?)
        /// Nothing to send (an adopted object that already matches).
        case none
        /// A create waiting for the objects it refers to.
        case deferred
        /// Not sent: refused before sending (a userName anchored to another object), or a lookup for it failed.
        case notSent(ObjectError)
    }

    /// `resolved`: the desired state with references as target ids; `before`: what was exported, likewise.
    private func prepare(_ export: PendingExport, _ object: CSObject,
                         _ resolved: (AttributeMap, Set<String>, [String: ObjectType]), before: AttributeMap?,
                         _ context: Context, deferring: Bool) async throws -> Work {
        if export.operation == .delete {
            return Work(export: export, object: object, written: [:], unresolved: [], types: [:], request: .delete(id: object.anchor))
        }
        let (desired, unresolved, types) = resolved
        if object.objectType == .user, desired.first("userName") == nil {
            let error = ObjectError("has no userPrincipalName, which the target needs as userName: not provisioned",
                                    attribute: "userPrincipalName")
            return Work(export: export, object: object, written: [:], unresolved: [], types: [:], request: .notSent(error))
        }
        let written = export.attributes.reduce(into: AttributeMap()) { result, entry in
            result[entry.key] = entry.value.filter { !unresolved.contains($0) }
        }.normalized
        var work = Work(export: export, object: object, written: written, unresolved: unresolved, types: types, request: .none)
        if let anchor = object.anchor, let before {
            work.request = .patch(id: anchor, patchOperations(object.objectType, from: before, to: desired, types: types),
                                  old: before, new: desired)
            return work
        }
        if deferring && !unresolved.isEmpty {
            work.request = .deferred
            return work
        }
        // First contact: does the target hold it already?
        let externalID = desired.first("externalId"), userName = object.objectType == .user ? desired.first("userName") : nil
        let found: (id: String, matchedBy: SCIMTargetConnector.FoundObject.Match, holder: String?)?
        if let index = context.index {
            found = index.match(externalID: externalID, userName: userName)
        } else {
            do {
                found = try await scimCall(perObject: true) { try await target.findExisting(object.objectType, externalId: externalID, userName: userName) }
                    .map { ($0.id, $0.matchedBy, $0.resource.value(forAttribute: "externalId")?.stringValue) }
            } catch let error as SCIMError {
                work.request = .notSent(ObjectError("looking for it in the target: \(error)"))
                return work
            }
        }
        guard let found else {
            work.request = .create(SCIMMapping.resource(object.objectType, desired, references: target.references(types)))
            return work
        }
        if found.matchedBy == .userName, let holder = found.holder, !holder.isEmpty, holder != externalID {
            work.request = .notSent(ObjectError("userName \(userName ?? "") is already used in the target by object \(found.id) "
                                                + "anchored to externalId \(holder): not taken over", attribute: "userName"))
            return work
        }
        // Join it, then send only the differences with what it holds.
        let resource: JSON
        do {
            resource = try await scimCall(perObject: true) { try await target.client.get(SCIMMapping.resourceType(object.objectType), id: found.id) }
        } catch let error as SCIMError {
            work.request = .notSent(ObjectError("reading \(found.id) in the target: \(error)"))
            return work
        }
        let actual = SCIMMapping.attributes(object.objectType, from: resource)
        let operations = patchOperations(object.objectType, from: actual, to: desired, types: types)
        work.adoptedID = found.id
        work.request = operations.isEmpty ? .none : .patch(id: found.id, operations, old: actual, new: desired)
        return work
    }

    private func patchOperations(_ type: ObjectType, from old: AttributeMap, to new: AttributeMap, types: [String: ObjectType]) -> [SCIMPatchOperation] {
        SCIMMapping.patchOperations(type, from: old, to: new, references: target.references(types), replaceMembers: !target.removesMembersByFilter)
    }

    // MARK: Sending

    private enum Outcome: Sendable {
        case ok(id: String?)
        case failed(String, attribute: String?)
        /// The object vanished from the target (404 on PATCH): create it again.
        case gone
    }

    /// Sends the batch: Bulk requests within the server's limits, or single requests (the connector's
    /// `concurrency` at a time).
    private func execute(_ work: [Work], _ context: Context) async throws -> [Outcome] {
        var outcomes = [Outcome?](repeating: nil, count: work.count)
        var pending: [Int] = []
        for (index, item) in work.enumerated() {
            switch item.request {
            case .none: outcomes[index] = .ok(id: item.adoptedID)
            case .notSent(let error): outcomes[index] = .failed(error.message, attribute: error.attribute)
            case .delete(nil): outcomes[index] = .ok(id: nil)
            case .patch(_, let operations, _, _) where operations.isEmpty: outcomes[index] = .ok(id: item.adoptedID)
            default: pending.append(index)
            }
        }
        var individually = pending
        if context.features.bulkSupported && pending.count > 1 {
            // An operation larger than a whole Bulk request may be (a group of many thousand members) goes alone.
            let budget = bulkBudget(context.features)
            let operations = pending.map { index in
                let operation = operation(work[index])
                return (index: index, operation: operation, bytes: bulkSize(operation))   // encoded once
            }
            individually = operations.filter { $0.bytes > budget }.map(\.index)
            let chunks = bulkChunks(operations.filter { $0.bytes <= budget }, context.features)
            let client = target.client
            try await withThrowingTaskGroup(of: ([(Int, SCIMBulkOperation)], Result<[SCIMBulkResult], SCIMError>).self) { group in
                var next = chunks.makeIterator()
                func addNext() {
                    guard let chunk = next.next() else { return }
                    group.addTask {
                        do {
                            return (chunk, .success(try await scimCall(perObject: true) { try await client.bulk(chunk.map(\.1)) }))
                        } catch let error as SCIMError {
                            return (chunk, .failure(error))
                        }
                    }
                }
                for _ in 0..<bulkConcurrency { addNext() }
                while let (chunk, results) = try await group.next() {
                    switch results {
                    case .success(let results):
                        for ((index, _), result) in zip(chunk, results) {
                            outcomes[index] = try await outcome(of: result, for: work[index])
                        }
                    case .failure(let error):
                        // No usable answer to the whole request: each of its objects failed this time (a create
                        // that did happen is found by its externalId on the next run).
                        for (index, _) in chunk { outcomes[index] = .failed("bulk request: \(error)", attribute: nil) }
                    }
                    addNext()
                }
            }
        }
        if !individually.isEmpty {
            try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
                var next = individually.makeIterator()
                func addNext() {
                    guard let index = next.next() else { return }
                    let item = work[index]
                    group.addTask { (index, try await send(item)) }
                }
                for _ in 0..<target.concurrency { addNext() }
                while let (index, outcome) = try await group.next() {
                    outcomes[index] = outcome
                    addNext()
                }
            }
        }
        return outcomes.map { $0 ?? .failed("not sent", attribute: nil) }
    }

    private func operation(_ item: Work) -> SCIMBulkOperation {
        let type = SCIMMapping.resourceType(item.object.objectType)
        switch item.request {
        case .create(let body): return SCIMBulkOperation(method: .POST, path: type.path(), bulkId: "cs\(item.export.csID)", data: body)
        case .patch(let id, let operations, _, _):
            return SCIMBulkOperation(method: .PATCH, path: type.path(id: id), data: SCIMPatchOperation.message(operations))
        case .delete(let id): return SCIMBulkOperation(method: .DELETE, path: type.path(id: id ?? ""))
        default: preconditionFailure("nothing to send")
        }
    }

    /// The bytes a Bulk request may carry, with room for its envelope.
    private func bulkBudget(_ features: SCIMFeatures) -> Int { features.bulkMaxPayload * 9 / 10 }

    /// The bytes an operation adds to a Bulk request: its data and its method, path and bulkId.
    private func bulkSize(_ operation: SCIMBulkOperation) -> Int { (operation.data?.encoded().count ?? 0) + 200 }

    /// Splits operations into Bulk requests within maxOperations and (with room for the envelope) maxPayloadSize.
    private func bulkChunks(_ operations: [(index: Int, operation: SCIMBulkOperation, bytes: Int)],
                            _ features: SCIMFeatures) -> [[(Int, SCIMBulkOperation)]] {
        var chunks: [[(Int, SCIMBulkOperation)]] = [], current: [(Int, SCIMBulkOperation)] = [], size = 0
        let budget = bulkBudget(features)
        // At least `bulkConcurrency` requests per batch, so they overlap.
        let maxOperations = Swift.min(features.bulkMaxOperations, Swift.max(1, (operations.count + bulkConcurrency - 1) / bulkConcurrency))
        for entry in operations {
            if !current.isEmpty && (current.count == maxOperations || size + entry.bytes > budget) {
                chunks.append(current)
                current = []
                size = 0
            }
            current.append((entry.index, entry.operation))
            size += entry.bytes
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    private func outcome(of result: SCIMBulkResult, for item: Work) async throws -> Outcome {
        if result.error == nil { return .ok(id: result.id ?? item.adoptedID) }
        if case .patch = item.request {
            // Refused inside a Bulk (a member removal by filter, say): the single request knows the fallbacks.
            if result.status == 404 { return .gone }
            if [400, 500, 501].contains(result.status) { return try await send(item) }
        }
        if case .delete = item.request, result.status == 404 { return .ok(id: nil) }
        return .failed(result.error.map { "\($0)" } ?? "HTTP \(result.status)", attribute: nil)
    }

    /// One request on its own.
    private func send(_ item: Work) async throws -> Outcome {
        do {
            switch item.request {
            case .create(let body):
                let created = try await scimCall(perObject: true) { try await target.client.create(SCIMMapping.resourceType(item.object.objectType), body) }
                return .ok(id: created["id"]?.stringValue)
            case .patch(let id, _, let old, let new):
                try await scimCall(perObject: true) { _ = try await target.update(item.object.objectType, id: id, from: old, to: new, types: item.types) }
                return .ok(id: item.adoptedID ?? id)
            case .delete(let id):
                try await scimCall(perObject: true) { try await target.delete(item.object.objectType, id: id ?? "") }
                return .ok(id: nil)
            default:
                return .ok(id: item.adoptedID)
            }
        } catch let error as SCIMError where error.isNotFound {
            return .gone
        } catch let error as SCIMError {
            return .failed("\(error)", attribute: nil)
        }
    }

    /// Runs a SCIM call. A refused credential stops the run, and so does any failure of a call the whole
    /// run needs (`perObject` false). A call for one object rethrows its SCIMError, for that object to fail —
    /// unless it is the `transportFailureLimit`th in a row without an answer: then the service is down.
    private func scimCall<T: Sendable>(perObject: Bool = false, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            streak.reset()
            return result
        } catch let error as SCIMError where error.isAuthenticationFailure || !perObject {
            throw ConnectorError(connector: target.name, "\(error)")
        } catch let error as SCIMError where error.kind == .transport {
            if streak.increment() >= transportFailureLimit {
                throw ConnectorError(connector: target.name, "\(transportFailureLimit) requests in a row got no answer; the last: \(error)")
            }
            throw error
        } catch let error as SCIMError {
            streak.reset()  // an answer, even a refusal: the service is up
            throw error
        }
    }

    // MARK: Recording

    private enum Recorded { case done, waitingForReferences, failed }

    private func record(_ item: Work, _ outcome: Outcome, writer: any StoreWriter, recorder: RunRecorder) throws -> Recorded {
        var object = item.object
        switch outcome {
        case .failed(let message, let attribute):
            logger.warning("export failed", metadata: ["object": "\(object.dn)", "error": "\(message)"])
            var export = item.export
            export.attempts += 1
            export.lastError = message
            try writer.setPendingExport(export)
            try recorder.error(writer, object: object.dn, attribute: attribute, message)
            return .failed
        case .gone:
            // Deleted in the target behind idsync's back: create it again on the next pass.
            object.anchor = nil
            object.setAttributes([:])
            try writer.update(object)
            try writer.setPendingExport(PendingExport(csID: object.id!, operation: .add, attributes: item.export.attributes))
            return .waitingForReferences
        case .ok(let id):
            switch item.request {
            case .delete:
                try writer.deleteCSObject(id: object.id!)
                recorder.deleted()
                return .done
            case .create: recorder.added()
            case .patch: recorder.updated()
            default: break
            }
            if object.anchor == nil { object.anchor = id }
            object.setAttributes(item.written)
            try writer.update(object)
            if item.unresolved.isEmpty {
                try writer.removePendingExport(csID: object.id!)
                return .done
            }
            try writer.setPendingExport(PendingExport(csID: object.id!, operation: .update, attributes: item.export.attributes))
            return .waitingForReferences
        }
    }

    /// Turns metaverse references into target ids; returns the values that cannot be resolved yet, and the
    /// object type of each resolved id (members are written with their type's URI).
    private func resolve(_ attributes: AttributeMap, _ references: Set<String>, _ reader: any StoreReader) throws
        -> (AttributeMap, Set<String>, [String: ObjectType]) {
        var resolved = attributes, unresolved = Set<String>(), types: [String: ObjectType] = [:]
        for name in references {
            guard let values = attributes[name] else { continue }
            resolved[name] = try values.compactMap { value in
                if let mvID = Reference.metaverseID(value) {
                    if let referenced = try reader.anchor(connector: target.name, mvID: mvID), let anchor = referenced.anchor {
                        types[anchor] = referenced.objectType
                        return anchor
                    }
                    unresolved.insert(value)
                    return nil
                }
                return Reference.targetID(value) ?? value
            }
        }
        return (resolved.normalized, unresolved, types)
    }
}

extension Array {
    /// Consecutive parts whose summed weight stays within `limit` (a heavier element is a part alone).
    func split(byWeight limit: Int, weight: (Element) -> Int) -> [ArraySlice<Element>] {
        var parts: [ArraySlice<Element>] = [], start = startIndex, total = 0
        for index in indices {
            let w = weight(self[index])
            if index > start && total + w > limit {
                parts.append(self[start..<index])
                start = index
                total = 0
            }
            total += w
        }
        if start < endIndex { parts.append(self[start..<endIndex]) }
        return parts
    }
}

/// Consecutive requests without an answer, across the concurrent requests of one export.
private final class FailureStreak: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    func reset() { count.withLock { $0 = 0 } }
}
