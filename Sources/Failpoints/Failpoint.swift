import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic crash points for the crash-safety tests: with IDSYNC_FAILPOINT set in the environment,
/// the process kills itself (SIGKILL, no cleanup) when it reaches that point. Two kinds of point:
/// - a step, `NAME:STEP` (`rotate:6`, `change-password:2`): the code names it with `hit`;
/// - a run's progress, `imported:N`, `synced:N` or `exported:N`: a run of that kind dies when it has
///   counted its N-th object (added, updated or deleted), see `RunProgress`.
public enum Failpoint {
    /// The armed point, read once per process: the checks run per object and must cost nothing.
    public static let armed: String? = ProcessInfo.processInfo.environment["IDSYNC_FAILPOINT"]

    public static func hit(_ name: String, step: Int) { hit("\(name):\(step)") }

    /// `KeyManager`'s checkpoint.
    @Sendable public static func hit(_ point: String) {
        guard armed == point else { return }
        die()
    }

    /// Ends the process as a power cut or the OOM killer would: no cleanup, no buffered output flushed.
    public static func die() -> Never {
        kill(getpid(), SIGKILL)
        // SIGKILL cannot be caught; this only satisfies the type checker.
        abort()
    }
}

/// A point in a run's progress: `exported:500` is "the export run has counted its 500th object".
public struct ProgressPoint: Equatable, Sendable {
    /// The kinds of run a point can name; the raw value is the point's name.
    public enum Run: String, Sendable, CaseIterable {
        case importing = "imported"
        case syncing = "synced"
        case exporting = "exported"
    }

    public let run: Run
    /// The object, counted from 1, at which the run dies.
    public let count: Int

    public init(_ run: Run, count: Int) {
        self.run = run
        self.count = count
    }

    /// Parses `NAME:N` with a run's name and N ≥ 1; nil for anything else (a step point, a typo).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let run = Run(rawValue: String(parts[0])),
              let count = Int(parts[1]), count >= 1 else { return nil }
        self.init(run, count: count)
    }

    /// What to put in IDSYNC_FAILPOINT for this point.
    public var setting: String { "\(run.rawValue):\(count)" }
}

/// One run's count of objects, against the armed progress point if it names this kind of run.
public struct RunProgress: Sendable {
    /// The count at which this run dies; nil when no point is armed for it.
    public let killAt: Int?
    public private(set) var count = 0

    /// `armed`: the IDSYNC_FAILPOINT setting (the process's, unless a test gives another).
    public init(_ run: ProgressPoint.Run, armed: String? = Failpoint.armed) {
        let point = armed.flatMap(ProgressPoint.init)
        killAt = point?.run == run ? point?.count : nil
    }

    /// Counts `objects` more; true when this passed the armed count (a batch counted at once may pass it
    /// in one step, which still fires once, at the batch).
    public mutating func add(_ objects: Int) -> Bool {
        let before = count
        count += objects
        guard let killAt else { return false }
        return before < killAt && count >= killAt
    }

    /// Counts `objects` more and dies if that reached the armed point.
    public mutating func advance(_ objects: Int) {
        if add(objects) { Failpoint.die() }
    }
}
