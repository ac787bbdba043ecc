import Foundation
import ProcessSpawn
import Synchronization

/// A program left running beside a test (a process holding a lock, a stand-in for a stale pid), stopped by
/// `stop()` and in any case when the test process exits.
public final class BackgroundProcess: Sendable {
    public let pid: Int32
    /// The exit status once reaped.
    private let exit = Mutex<Int32?>(nil)

    public init(_ arguments: [String]) throws {
        pid = try Spawn.start(arguments)
        ServerRegistry.started(pid: pid)
    }

    /// Whether it still runs (a child that exited is reaped here).
    public var isRunning: Bool {
        exit.withLock { status in
            if status == nil { status = Spawn.poll(pid) }
            return status == nil
        }
    }

    /// SIGTERM, then waits for it to exit.
    public func stop() {
        exit.withLock { status in
            guard status == nil else { return }
            kill(pid, SIGTERM)
            status = Spawn.wait(pid)
        }
        ServerRegistry.stopped(pid: pid)
    }
}
