import Synchronization
import Testing

/// Scopes servers (and anything else a test must undo) to `body`: every step added to the `Cleanup` is
/// awaited after `body` ends — returning or throwing — last added first; then `body`'s result or error is
/// passed on. Swift has no async `defer`, and `defer { Task { await server.stop() } }` may never run before
/// the test process exits, which leaves servers running after a failed test.
///
///     try await withCleanup { cleanup in
///         let scim = try await SCIMServer.start()
///         cleanup.add { try await scim.stop() }
///         ...
///     }
///
/// A step that throws is recorded as an issue of the running test, at the line that added it, and the
/// remaining steps still run.
public func withCleanup<T>(_ body: (Cleanup) async throws -> T) async throws -> T {
    let cleanup = Cleanup()
    let result: Result<T, any Error>
    do { result = .success(try await body(cleanup)) } catch { result = .failure(error) }
    await cleanup.run()
    return try result.get()
}

/// The steps `withCleanup` awaits once its body ends.
public final class Cleanup: Sendable {
    private struct Step: Sendable {
        let run: @Sendable () async throws -> Void
        let addedAt: SourceLocation
    }

    private let steps = Mutex<[Step]>([])

    fileprivate init() {}

    /// Adds `step` to run after the body, before the steps added earlier.
    public func add(sourceLocation: SourceLocation = #_sourceLocation, _ step: @escaping @Sendable () async throws -> Void) {
        steps.withLock { $0.append(Step(run: step, addedAt: sourceLocation)) }
    }

    fileprivate func run() async {
        let steps = steps.withLock { steps in defer { steps = [] }; return steps }
        // In a task of its own, so that a test cancelled (e.g. by its time limit) still stops its servers:
        // a stop that polls or sleeps would otherwise end at once with CancellationError. The task inherits
        // the running test, so issues are recorded against it.
        await Task {
            for step in steps.reversed() {
                do { try await step.run() } catch {
                    Issue.record(error, "a cleanup step failed", sourceLocation: step.addedAt)
                }
            }
        }.value
    }
}
