import Foundation
import Testing
@testable import SyncConfiguration

/// The bad-configuration corpus (Fixtures/bad-config): every file must be refused with an error naming the
/// key path and saying what is wrong, as its header (`# expect-key:`, `# expect-message:`) states.
@Suite("Bad configuration corpus")
struct BadConfigCorpusTests {
    static let directory = Bundle.module.path(forResource: "Fixtures", ofType: nil)! + "/bad-config"
    static let cases = (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }.sorted()) ?? []

    @Test func corpusIsLarge() {
        #expect(Self.cases.count >= 50)
    }

    @Test(arguments: cases)
    func refusedWithItsKeyPath(_ name: String) throws {
        let path = Self.directory + "/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        func header(_ key: String) -> String {
            text.split(separator: "\n").first { $0.hasPrefix("# \(key): ") }.map { String($0.dropFirst(key.count + 4)) } ?? ""
        }
        do {
            _ = try ConfigLoader.load(path: path)
            Issue.record("\(name) was accepted")
        } catch let error as ConfigError {
            #expect(error.keyPath == header("expect-key"), "\(name): \(error)")
            #expect(error.description.contains(header("expect-message")), "\(name): \(error)")
            #expect(error.description.hasPrefix(path), "\(name): the file is not named: \(error)")
            #expect(!error.description.contains("\n"), "\(name): not one line: \(error)")
        }
    }
}
