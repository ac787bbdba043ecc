import Dispatch
import Foundation
import Synchronization

/// SIGTERM / SIGINT as a flag and a wake-up: the service finishes its current step, then stops.
/// `@unchecked`: the signal sources are set once in init and only kept alive afterwards.
final class StopSignal: @unchecked Sendable {
    private let state = Mutex<(stopped: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let sources: [any DispatchSourceSignal]

    init() {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            source.setEventHandler { [weak self] in self?.trigger() }
            source.resume()
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    func trigger() {
        let waiters = state.withLock { state in
            state.stopped = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Waits until `duration` passed or a stop was asked for, whichever is first.
    func wait(upTo duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask {
                await withCheckedContinuation { continuation in
                    let stopped = self.state.withLock { state in
                        if !state.stopped { state.waiters.append(continuation) }
                        return state.stopped
                    }
                    if stopped { continuation.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            // The stop waiter only ends on a stop; wake it so the group can finish.
            if !isStopped { wakeWaiters() }
        }
    }

    private func wakeWaiters() {
        let waiters = state.withLock { state in defer { state.waiters.removeAll() }; return state.waiters }
        waiters.forEach { $0.resume() }
    }
}
