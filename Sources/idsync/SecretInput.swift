import Foundation
import SyncEngine
#if canImport(Glibc)
import Glibc
#endif

/// Reads a secret the admin gives: from a file, else from standard input — prompted without echo (and
/// asked twice when it is a new secret) on a terminal, read whole from a pipe.
enum SecretInput {
    static func read(_ what: String, file: String?, confirm: Bool = false) throws -> String {
        if let file { return try SecretFile.read(file, what: what) }
        if isatty(STDIN_FILENO) == 1 {
            let first = try prompt("\(what): ")
            if confirm, try prompt("\(what) again: ") != first { throw CLIError("the two entries differ") }
            guard !first.isEmpty else { throw CLIError("no \(what) given") }
            return first
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard var text = String(data: data, encoding: .utf8) else { throw CLIError("the \(what) on standard input is not UTF-8") }
        if text.hasSuffix("\n") { text.removeLast() }
        if text.hasSuffix("\r") { text.removeLast() }
        guard !text.isEmpty else { throw CLIError("no \(what) on standard input") }
        return text
    }

    /// One line from the terminal with echo off.
    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = Swift.readLine(strippingNewline: true) else { throw CLIError("no input") }
        return line
    }
}
