import Foundation
import ProcessSpawn

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var succeeded: Bool { status == 0 }
    public init(status: Int32, stdout: String, stderr: String) { self.status = status; self.stdout = stdout; self.stderr = stderr }
    /// Both streams, for assertions and failure messages.
    public var output: String { stdout + stderr }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let command: [String]
    public let result: ProcessResult
    public var description: String {
        "\(command.joined(separator: " ")) exited \(result.status)\n\(result.stderr)\(result.stdout)"
    }
}

/// Runs a program to completion off the cooperative pool, capturing its output (see `Spawn` for why not
/// Foundation's Process). Output goes through temporary files, so a chatty child never blocks on a full pipe.
public func runProcess(_ command: [String], environment: [String: String]? = nil,
                       stdin: String? = nil) async throws -> ProcessResult {
    try await offPool { try runProcessBlocking(command, environment: environment, stdin: stdin) }
}

/// Like `runProcess`, but throws `ProcessFailure` unless the program exits 0.
@discardableResult
public func runChecked(_ command: [String], environment: [String: String]? = nil,
                       stdin: String? = nil) async throws -> ProcessResult {
    let result = try await runProcess(command, environment: environment, stdin: stdin)
    guard result.succeeded else { throw ProcessFailure(command: command, result: result) }
    return result
}

/// How long a child may run before the harness kills it (10 minutes: longer than any server start or sync here).
let processTimeout: TimeInterval = 600

private func runProcessBlocking(_ command: [String], environment: [String: String]?, stdin: String?) throws -> ProcessResult {
    let scratch = try TemporaryDirectory(prefix: "proc")
    defer { scratch.remove() }
    let inPath = scratch.file("in"), outPath = scratch.file("out"), errPath = scratch.file("err")
    try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: inPath))
    let pid: pid_t
    do {
        pid = try Spawn.start(command, stdin: inPath, stdout: outPath, stderr: errPath,
                              environment: environment ?? ProcessInfo.processInfo.environment)
    } catch {
        throw ProcessFailure(command: command, result: ProcessResult(status: -1, stdout: "", stderr: "\(error)"))
    }
    // A child that hangs fails its test with a message instead of holding the whole run until CI gives up.
    let deadline = Date().addingTimeInterval(processTimeout)
    var status = Spawn.poll(pid)
    while status == nil {
        if Date() > deadline {
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid)
            let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw ProcessFailure(command: command, result: ProcessResult(
                status: -1, stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                stderr: stderr + "\n[killed: still running after \(Int(processTimeout)) s]"))
        }
        usleep(20_000)
        status = Spawn.poll(pid)
    }
    return ProcessResult(status: status ?? -1,
                         stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
}

/// Parses the `KEY=value` lines the project's server scripts print.
func parseAssignments(_ text: String) -> [String: String] {
    var values: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let eq = line.firstIndex(of: "=") else { continue }
        values[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return values
}

/// Runs blocking work (a child process to its end, scrypt, a database read) on a thread of its own: not on
/// the cooperative pool's few threads, which every test of the run shares, and not on Dispatch's global
/// queue, whose threads the other tests' blocking work would hold (its timers, the LDAP connect watchdog's
/// among them, would then fire late).
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
