import Foundation

/// A private directory under the system temp dir, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String) throws {
        var template = Array((NSTemporaryDirectory() + "idsync-\(prefix)-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        path = String(cString: made)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `contents` to `name` inside the directory (0600) and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let target = file(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o600)
        return target
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
