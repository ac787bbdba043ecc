import Foundation

/// Where the project's own files are, seen from the tests.
public enum Repository {
    /// The checkout's root: this file is Sources/IDSyncTesting/Repository.swift.
    public static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    public static func script(_ name: String) -> String { root + "/scripts/" + name }

    /// The `idsync` binary SwiftPM built beside the test bundle (the test runner's own directory).
    public static var idsyncBinary: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = runner.deletingLastPathComponent()
        // On Linux the runner is `.build/<config>/idsyncPackageTests.xctest`; elsewhere it may sit deeper.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("idsync").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        fatalError("idsync binary not found next to \(runner.path): build the package (swift build) first")
    }
}
