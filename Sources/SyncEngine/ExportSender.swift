import Logging
import SCIM
import SyncStore
import Synchronization

/// What became of one request.
enum ExportOutcome: Sendable {
    case ok(id: String?)
    case failed(String, attribute: String?)
    /// The object vanished from the target (404 on PATCH): create it again.
    case gone
    /// A group was created, but without (all) its members, and adding them failed: recorded with no
    /// members, so the next run adds them again.
    case createdWithoutMembers(id: String, String)
}

/// Sends a batch of prepared exports: Bulk requests within the server's limits, or single requests (the
/// target's `concurrency` at a time); an operation refused inside a Bulk is tried again alone, where the
/// single request knows the fallbacks, and a Bulk request that failed as a whole is recovered (`recover`).
struct ExportSender: Sendable {
    let target: any ExportTarget
    let calls: TargetCalls
    /// Bulk requests in flight at once: a second one is prepared by the server while the first is parsed.
    let bulkConcurrency: Int
    let logger: Logger
    private var members: CreatedMembers { CreatedMembers(target: target, calls: calls) }

    /// One outcome per item of `work`, in its order.
    func execute(_ work: [ExportWork], _ context: ExportContext) async throws -> [ExportOutcome] {
        var outcomes = [ExportOutcome?](repeating: nil, count: work.count)
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
        // A type whose Bulk failed as a whole twice in this run is sent alone (see `recover`).
        var individually = pending.filter { context.bulkRefusals.contains(work[$0].object.objectType) }
        pending.removeAll { context.bulkRefusals.contains(work[$0].object.objectType) }
        if !context.features.bulkSupported || pending.count <= 1 {
            individually += pending
        } else {
            // An operation larger than a whole Bulk request may be (a group of many thousand members) goes alone.
            let budget = bulkBudget(context.features)
            let operations = pending.map { index in
                let operation = operation(work[index])
                return (index: index, operation: operation, bytes: bulkSize(operation))   // encoded once
            }
            individually += operations.filter { $0.bytes > budget }.map(\.index)
            let chunks = bulkChunks(operations.filter { $0.bytes <= budget }, context.features)
            let target = self.target
            try await withThrowingTaskGroup(of: ([(Int, SCIMBulkOperation)], Result<[SCIMBulkResult], SCIMError>).self) { group in
                var next = chunks.makeIterator()
                func addNext() {
                    guard let chunk = next.next() else { return }
                    group.addTask {
                        do {
                            return (chunk, .success(try await calls.call(perObject: true) { try await target.bulk(chunk.map(\.1)) }))
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
                            outcomes[index] = try await outcome(of: result, for: work[index], context)
                        }
                    case .failure(let error) where (error.status ?? 0) >= 500:
                        for (index, outcome) in try await recover(chunk, after: error, work, context) { outcomes[index] = outcome }
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
            try await withThrowingTaskGroup(of: (Int, ExportOutcome).self) { group in
                var next = individually.makeIterator()
                func addNext() {
                    guard let index = next.next() else { return }
                    let item = work[index]
                    group.addTask { (index, try await send(item, context)) }
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

    // MARK: Bulk

    private func operation(_ item: ExportWork) -> SCIMBulkOperation {
        let type = SCIMMapping.resourceType(item.object.objectType)
        switch item.request {
        case .create(let body): return SCIMBulkOperation(method: .POST, path: type.path(), bulkId: "cs\(item.export.csID)", data: body)
        case .patch(let id, let operations, _, _):
            return SCIMBulkOperation(method: .PATCH, path: type.path(id: id), data: SCIMPatchOperation.message(operations))
        case .delete(let id): return SCIMBulkOperation(method: .DELETE, path: type.path(id: id ?? ""))
        default: preconditionFailure("nothing to send")
        }
    }

    /// A Bulk request failed as a whole (5xx), perhaps after committing part of it. The creates that
    /// landed are found again (and taken as done); the rest is sent once more as one Bulk request. When that
    /// fails as a whole too, the server's Bulk mishandles these types: they go as single requests for the
    /// rest of the run, starting with this rest. A transient 500 costs one retry; a broken Bulk costs two.
    private func recover(_ chunk: [(Int, SCIMBulkOperation)], after error: SCIMError, _ work: [ExportWork],
                         _ context: ExportContext) async throws -> [(Int, ExportOutcome)] {
        // A listing read before the request cannot show the creates that landed.
        if chunk.contains(where: { if case .create = work[$0.0].request { true } else { false } }) {
            await context.lookup.forgetListing()
        }
        var outcomes: [(Int, ExportOutcome)] = [], rest: [(Int, SCIMBulkOperation)] = []
        for (index, operation) in chunk {
            let item = work[index]
            guard case .create(let body) = item.request else { rest.append((index, operation)); continue }
            let userName = item.object.objectType == .user ? item.written.first("userName") : nil
            do {
                if let landed = try await context.lookup.find(item.object.objectType, externalID: item.written.first("externalId"),
                                                              userName: userName) {
                    outcomes.append((index, try await members.check(item, body: body, id: landed.id, answer: nil)))
                } else {
                    rest.append((index, operation))
                }
            } catch let lookupError as SCIMError {
                outcomes.append((index, .failed("bulk request: \(error); looking for it in the target then: \(lookupError)", attribute: nil)))
            }
        }
        guard !rest.isEmpty else { return outcomes }
        let target = self.target
        do {
            let results = try await calls.call(perObject: true) { try await target.bulk(rest.map(\.1)) }
            for ((index, _), result) in zip(rest, results) { outcomes.append((index, try await outcome(of: result, for: work[index], context))) }
            return outcomes
        } catch let again as SCIMError where (again.status ?? 0) >= 500 {
            let types = Set(rest.map { work[$0.0].object.objectType })
            context.bulkRefusals.insert(types)
            logger.warning("the target's Bulk failed twice for these types; they are sent one request each for the rest of the run",
                           metadata: ["connector": "\(calls.connector)", "types": "\(types.map(\.rawValue).sorted())",
                                      "error": "\(again)"])
            for (index, _) in rest { outcomes.append((index, try await send(work[index], context))) }
            return outcomes
        } catch let again as SCIMError {
            return outcomes + rest.map { ($0.0, .failed("bulk request: \(again)", attribute: nil)) }
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

    private func outcome(of result: SCIMBulkResult, for item: ExportWork, _ context: ExportContext) async throws -> ExportOutcome {
        if result.error == nil {
            if case .create(let body) = item.request, let id = result.id {
                return try await members.check(item, body: body, id: id, answer: nil)
            }
            return .ok(id: result.id ?? item.adoptedID)
        }
        if case .patch = item.request {
            // Refused inside a Bulk (a member removal by filter, say): the single request knows the fallbacks.
            if result.status == 404 { return .gone }
            if [400, 500, 501].contains(result.status) { return try await send(item, context) }
        }
        if case .delete = item.request, result.status == 404 { return .ok(id: nil) }
        return .failed(result.error.map { "\($0)" } ?? "HTTP \(result.status)", attribute: nil)
    }

    // MARK: Single requests

    /// One request on its own.
    private func send(_ item: ExportWork, _ context: ExportContext) async throws -> ExportOutcome {
        do {
            switch item.request {
            case .create(let body):
                let created = try await calls.call(perObject: true) { try await target.create(item.object.objectType, body) }
                guard let id = created["id"]?.stringValue else { return .ok(id: nil) }
                return try await members.check(item, body: body, id: id, answer: created)
            case .patch(let id, _, let old, let new):
                try await calls.call(perObject: true) { 
                    _ = try await target.update(item.object.objectType, id: id, from: old, to: new, types: item.types, schema: context.schema)
                }
                return .ok(id: item.adoptedID ?? id)
            case .delete(let id):
                try await calls.call(perObject: true) { try await target.deleteIfPresent(item.object.objectType, id: id ?? "") }
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
}

/// The object types a target's Bulk failed for as a whole, twice, in one run; shared by the run's batches.
final class BulkRefusals: Sendable {
    private let types = Mutex<Set<ObjectType>>([])

    func contains(_ type: ObjectType) -> Bool { types.withLock { $0.contains(type) } }

    func insert(_ refused: Set<ObjectType>) {
        types.withLock { $0.formUnion(refused) }
    }
}
