import Foundation
#if canImport(IDSyncTesting)
import IDSyncTesting  // SambaDC and runChecked in the main package; the scratch package has stand-ins
#endif

enum TestCertificates {
    /// A CA certificate that signed nothing the test servers use, made once per test process.
    static func unrelatedCA() async throws -> String {
        try await unrelated.value
    }

    private static let unrelated = Task {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("idsync-ldaptests-ca-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("ca.pem").path
        try await runChecked([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=unrelated test CA",
            "-keyout", directory.appendingPathComponent("ca.key").path, "-out", certificate,
        ])
        return certificate
    }
}
