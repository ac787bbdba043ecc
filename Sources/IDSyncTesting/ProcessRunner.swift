import Foundation

/// What a finished child process left behind.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var succeeded: Bool { status == 0 }
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

/// Runs a program to completion off the cooperative pool, capturing its output.
/// Output goes through temporary files rather than pipes so a chatty child never blocks on a full pipe.
public func runProcess(_ command: [String], environment: [String: String]? = nil,
                       stdin: String? = nil) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                continuation.resume(returning: try runProcessBlocking(command, environment: environment, stdin: stdin))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// Like `runProcess`, but throws `ProcessFailure` unless the program exits 0.
@discardableResult
public func runChecked(_ command: [String], environment: [String: String]? = nil,
                       stdin: String? = nil) async throws -> ProcessResult {
    let result = try await runProcess(command, environment: environment, stdin: stdin)
    guard result.succeeded else { throw ProcessFailure(command: command, result: result) }
    return result
}

/// posix_spawn + waitpid rather than Foundation's Process: in a test runner, Process.waitUntilExit can
/// wait forever on a child that has already exited (its SIGCHLD source never fires), leaving a zombie.
private func runProcessBlocking(_ command: [String], environment: [String: String]?, stdin: String?) throws -> ProcessResult {
    let scratch = try TemporaryDirectory(prefix: "proc")
    defer { scratch.remove() }
    let inPath = scratch.file("in"), outPath = scratch.file("out"), errPath = scratch.file("err")
    try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: inPath))

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    let environment = environment ?? ProcessInfo.processInfo.environment
    let argv = command.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }

    var pid = pid_t()
    let spawned = posix_spawnp(&pid, command[0], &actions, nil, argv, envp)
    guard spawned == 0 else {
        throw ProcessFailure(command: command, result: ProcessResult(status: -1, stdout: "",
                                                                     stderr: "cannot start: \(String(cString: strerror(spawned)))"))
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS, spelled out (they are macros); a signal shows as 128 + its number.
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessResult(status: exitStatus,
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
