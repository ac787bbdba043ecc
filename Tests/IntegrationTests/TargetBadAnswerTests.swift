import Foundation
import IDSyncTesting
import Testing

/// The answers a SCIM service gives that are not what RFC 7644 promises, one per user, kept as fixtures in
/// `Fixtures/scim-responses`: SCIM errors with and without scimType, errors as plain JSON or HTML or text,
/// 2xx answers that are not a resource (after the server did create it). Each user is named in
/// `idsync errors` with the reason, the others sync, and once the service behaves nothing is duplicated
/// or missing.
@Suite("Target bad answers: a corpus of SCIM responses", .hangGuard)
struct TargetBadAnswerTests {
    struct Case {
        let name: String
        let expect: String
        let response: FaultProxy.CannedResponse
    }

    static func corpus(marker: (Int) -> String) throws -> [Case] {
        let directory = try #require(Bundle.module.url(forResource: "scim-responses", withExtension: nil, subdirectory: "Fixtures"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".http") }.sorted()
        return try files.enumerated().map { index, file in
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            let split = try #require(text.range(of: "\n\n"), "\(file): no blank line after the headers")
            var headers: [String: String] = [:]
            for line in text[..<split.lowerBound].split(separator: "\n") {
                let parts = line.split(separator: ":", maxSplits: 1)
                headers[String(parts[0])] = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            }
            let status = try #require(Int(headers["status"] ?? ""), "\(file): no status")
            let contentType = headers["content-type"].flatMap { $0.isEmpty ? nil : $0 }
            return Case(name: file, expect: try #require(headers["expect"], "\(file): no expect"),
                        response: .init(marker: marker(index), status: status, contentType: contentType,
                                        body: String(text[split.upperBound...]), forward: headers["forward"] == "yes"))
        }
    }

    @Test func eachBadAnswerIsNamedAndNothingIsLost() async throws {
        let directory = try await BulkDirectory.make(users: 30, groups: 2, membersPerGroup: 10)
        try await withCleanup { cleanup in
            cleanup.add { await directory.stop() }
            let cases = try Self.corpus(marker: { "\"u\($0)@example.com\"" })
            #expect(cases.count >= 15)
            let proxy = try await FaultProxy(upstream: directory.scim.url, plan: .init([:]))
            cleanup.add { try await proxy.stop() }
            proxy.answer(cases.map(\.response))
            let install = try directory.installation(scimURL: proxy.url, extraSCIM: "    bulk: false")

            let first = try await install.idsync(["sync"])
            #expect(first.status == 2, "completed with errors: \(first.output)")
            let errors = try await install.idsync(["errors"])
            let lines = errors.stdout.split(separator: "\n")
            for (index, item) in cases.enumerated() {
                let line = lines.first { $0.contains("u\(index)@example.com ") }
                #expect(line?.contains(item.expect) == true, "\(item.name): \(line ?? "not listed")")
                #expect((line?.count ?? 0) < 1_000, "\(item.name): an error line of \(line?.count ?? 0) characters")
            }
            let users = try await directory.scim.users().compactMap { $0.string("userName") }
            for index in cases.count..<directory.users { #expect(users.contains("u\(index)@example.com"), "the others sync") }
            print("target bad answers: \(cases.count) cases, \(proxy.cannedAnswers) answered from the corpus")

            // The service behaves again: everything arrives once, including what was created behind a bad answer.
            proxy.disable()
            let second = try await install.idsync(["sync"])
            #expect(second.status == 0, "\(second.output)")
            #expect(try await directory.convergence().isEmpty)
            #expect(try await install.idsync(["errors"]).stdout.contains("no objects in error"))
        }
    }
}
