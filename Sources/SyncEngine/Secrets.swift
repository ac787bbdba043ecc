import Foundation

/// Reads a secret (password, token) from a file an admin keeps for idsync, e.g. a systemd credential.
/// Errors name the file, never its contents.
public enum SecretFile {
    public static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretFileError(message: "cannot read the \(what) file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SecretFileError(message: "the \(what) file \(path) is not UTF-8 text")
        }
        // Editors and `echo` add a final newline; it is never part of the secret.
        let secret = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !secret.isEmpty else { throw SecretFileError(message: "the \(what) file \(path) is empty") }
        return secret
    }
}

public struct SecretFileError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
