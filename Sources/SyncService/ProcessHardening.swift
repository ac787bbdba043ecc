import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What every idsync process does first: it may hold the service account's password, the unwrapped server
/// encryption key and connector secrets in memory, so it leaves no core file (RLIMIT_CORE 0) and is not
/// dumpable (PR_SET_DUMPABLE 0: no core, no ptrace attach or /proc/PID/mem read by other processes of
/// the same user, /proc/PID owned by root).
public enum ProcessHardening {
    public static func apply() throws {
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore) == 0 else {
            throw ServiceError("cannot disable core files (setrlimit RLIMIT_CORE): \(String(cString: strerror(errno)))")
        }
        guard prctl(setDumpable, 0) == 0 else {
            throw ServiceError("cannot make the process non-dumpable (prctl PR_SET_DUMPABLE): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether the process is dumpable now (PR_GET_DUMPABLE).
    public static var isDumpable: Bool { prctl(getDumpable, 0) != 0 }

    // <linux/prctl.h>
    private static let getDumpable: Int32 = 3
    private static let setDumpable: Int32 = 4

    /// prctl(2) is variadic in C, which Swift does not import; its integer arguments are passed as a
    /// fixed-arity call of the same symbol (the SysV and AArch64 calling conventions pass them alike).
    private typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    private static let prctlFunction: Prctl? = dlsym(nil /* RTLD_DEFAULT */, "prctl")
        .map { unsafeBitCast($0, to: Prctl.self) }

    private static func prctl(_ option: Int32, _ argument: UInt) -> Int32 {
        guard let prctlFunction else { errno = ENOSYS; return -1 }
        return prctlFunction(option, argument, 0, 0, 0)
    }
}
