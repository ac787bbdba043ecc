import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting child processes with posix_spawn, the one way idsync and its tests do it.
///
/// Not Foundation's Process: a child it starts inherits the calling thread's blocked signals (a server
/// that then ignores SIGTERM), and its waitUntilExit can miss a child's exit in a test runner. Here a child
/// gets an empty signal mask and default handlers, and the caller reaps it with `wait`.
public enum Spawn {
    /// Starts `arguments[0]` (looked up in PATH when it has no slash) with stdin from `stdin`, stdout
    /// appended to `stdout` and stderr to `stderr` (nil: the same file as stdout). Files are created 0600.
    public static func start(_ arguments: [String], stdin: String = "/dev/null", stdout: String = "/dev/null",
                             stderr: String? = nil, appendOutput: Bool = false, newSession: Bool = false,
                             environment: [String: String]? = nil) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= setSessionFlag }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let outputFlags = O_WRONLY | O_CREAT | (appendOutput ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, outputFlags, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, outputFlags, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let result: Int32
        if let environment {
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { envp.forEach { free($0) } }
            result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        } else {
            result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        }
        guard result == 0 else { throw SpawnError(command: arguments[0], code: result) }
        return pid
    }

    /// Waits for the child to exit and reaps it: its exit status, or 128 + the signal that killed it.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return exitStatus(status)
    }

    /// The exit status if the child has exited (and reaps it), nil while it runs.
    public static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid ? exitStatus(status) : nil
    }

    /// WIFEXITED / WEXITSTATUS / WTERMSIG, which are macros Swift cannot call.
    private static func exitStatus(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// glibc's POSIX_SPAWN_SETSID, behind _GNU_SOURCE, which Swift's Glibc module does not define.
    private static let setSessionFlag: Int32 = 0x80
}

public struct SpawnError: Error, CustomStringConvertible {
    public let command: String
    public let code: Int32
    public var description: String { "cannot start \(command): \(String(cString: strerror(code)))" }
}
