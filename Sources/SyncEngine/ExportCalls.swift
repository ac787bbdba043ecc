import SCIM
import Synchronization

/// How the export's calls to the target may fail. A refused credential stops the run, and so does any
/// failure of a call the whole run needs (`perObject` false). A call for one object rethrows its
/// SCIMError, for that object to fail — unless it is the `transportFailureLimit`th in a row without an
/// answer: then the service is down. One per run, shared by planning and sending, which count the same streak.
struct TargetCalls: Sendable {
    let connector: String
    /// Requests in a row that got no answer: a few are one object's bad luck (a dropped connection), this
    /// many mean the service is down and the run stops.
    let transportFailureLimit: Int
    private let streak = FailureStreak()

    init(connector: String, transportFailureLimit: Int) {
        self.connector = connector
        self.transportFailureLimit = transportFailureLimit
    }

    func call<T: Sendable>(perObject: Bool = false, _ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            streak.reset()
            return result
        } catch let error as SCIMError where error.isAuthenticationFailure || !perObject {
            throw ConnectorError(connector: connector, "\(error)")
        } catch let error as SCIMError where error.kind == .transport {
            if streak.increment() >= transportFailureLimit {
                throw ConnectorError(connector: connector, "\(transportFailureLimit) requests in a row got no answer; the last: \(error)")
            }
            throw error
        } catch let error as SCIMError {
            streak.reset()  // an answer, even a refusal: the service is up
            throw error
        }
    }
}

/// Consecutive requests without an answer, across the concurrent requests of one export.
private final class FailureStreak: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    func reset() { count.withLock { $0 = 0 } }
}
