import Foundation
import IDSyncTesting
import LDAP
import Logging
import PropertyBased
@testable import SCIM
import SyncConfiguration
import SyncEngine
import Testing

/// Property-based fuzzing of what idsync parses from outside: the configuration file, DNs and LDAP filters,
/// and SCIM responses. A short run in CI; `make fuzz` runs many more cases (IDSYNC_FUZZ_COUNT).
enum Fuzz {
    static let count = ProcessInfo.processInfo.environment["IDSYNC_FUZZ_COUNT"].flatMap(Int.init) ?? 200

    /// One Unicode scalar: printable ASCII half the time, else a control character or any other scalar.
    static let scalar = Gen<UInt32>.value(in: 0...(4 * 0x11_0000 - 1)).map { value -> Unicode.Scalar in
        let code = value / 4
        switch value % 4 {
        case 0, 1: return Unicode.Scalar(0x20 + code % 95)!
        case 2: return Unicode.Scalar(code % 32)!
        default: return Unicode.Scalar(code) ?? "\u{FFFD}"   // surrogates are not scalars
        }
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String { String(String.UnicodeScalarView(scalars)) }

    /// Random edits of a text: each (position, kind, character) deletes, inserts or replaces one character.
    static let edits = zip(Gen<Int>.value(in: 0...100_000), Gen<Int>.value(in: 0...3),
                               Gen.unicodeScalar(in: "\u{0}"..."\u{7F}")).array(of: 1...8)

    static func apply(_ edits: [(Int, Int, Unicode.Scalar)], to text: String) -> String {
        var characters = Array(text)
        for (position, kind, scalar) in edits where !characters.isEmpty {
            let index = position % characters.count
            switch kind {
            case 0: characters.remove(at: index)
            case 1: characters.insert(Character(scalar), at: index)
            case 2: characters[index] = Character(scalar)
            default:   // swap two lines' worth: move a character far away (breaks indentation)
                let moved = characters.remove(at: index)
                characters.insert(moved, at: (index * 7919) % (characters.count + 1))
            }
        }
        return String(characters)
    }
}

@Suite("Fuzzing: configuration")
struct ConfigFuzzTests {
    static let valid = """
        database: /var/lib/idsync/idsync.sqlite
        service:
          account: svc-idsync@contoso.test
          staging: false
        sync:
          deletion_threshold: 500
        connectors:
          - name: contoso.test
            type: ldap
            flavor: active-directory
            url: ldaps://dc1.contoso.test:636
            bind_dn: svc-adconn@contoso.test
            base_dn: DC=contoso,DC=test
            containers: ["OU=Staff,DC=contoso,DC=test"]
            page_size: 500
          - name: cloud
            type: scim
            url: http://127.0.0.1:8089/
            auth: { type: bearer }
        """

    @Test func theSeedParses() throws {
        _ = try ConfigLoader.parse(Self.valid, file: "/fuzz/idsync.yaml")
    }

    @Test func anEditedConfigurationIsAcceptedOrRefusedOnOneNamedLine() async {
        await propertyCheck(count: Fuzz.count, input: Fuzz.edits) { edits in
            let text = Fuzz.apply(edits, to: Self.valid)
            do {
                _ = try ConfigLoader.parse(text, file: "/fuzz/idsync.yaml")
            } catch let error as ConfigError {
                #expect(error.description.hasPrefix("/fuzz/idsync.yaml"), "\(error)")
                #expect(!error.description.contains("\n"), "not one line: \(error)")
            } catch {
                Issue.record("not a ConfigError: \(type(of: error)) \(error)\n--- input ---\n\(text)")
            }
        }
    }

    @Test func arbitraryTextIsRefusedWithAConfigError() async {
        await propertyCheck(count: Fuzz.count, input: Fuzz.scalar.array(of: 0...300)) { scalars in
            let text = Fuzz.string(scalars)
            do {
                _ = try ConfigLoader.parse(text, file: "/fuzz/idsync.yaml")
            } catch is ConfigError {
            } catch {
                Issue.record("not a ConfigError: \(type(of: error)) \(error)")
            }
        }
    }
}

@Suite("Fuzzing: DNs and LDAP filters")
struct DNFilterFuzzTests {
    @Test func anEscapedValueStaysOneRDN() async {
        await propertyCheck(count: Fuzz.count, input: Fuzz.scalar.array(of: 1...40)) { scalars in
            let value = Fuzz.string(scalars)
            let dn = "CN=\(DistinguishedName.escapeValue(value)),OU=Staff,DC=contoso,DC=test"
            #expect(DistinguishedName.parent(dn) == "OU=Staff,DC=contoso,DC=test", "\(dn)")
            #expect(DistinguishedName.isWithin(dn, base: "ou=staff, dc=Contoso, dc=TEST"), "\(dn)")
            let normal = DistinguishedName.normalized(dn)
            #expect(DistinguishedName.normalized(normal) == normal, "normalizing twice changes \(dn)")
        }
    }

    @Test func anyStringIsNormalizedWithoutTrapping() async {
        await propertyCheck(count: Fuzz.count, input: Fuzz.scalar.array(of: 0...80)) { scalars in
            let text = Fuzz.string(scalars)
            let normal = DistinguishedName.normalized(text)
            #expect(DistinguishedName.normalized(normal) == normal, "\(text.debugDescription)")
            _ = DistinguishedName.parent(text)
        }
    }

    /// RFC 4515 §3: `*`, `(`, `)`, `\` and NUL as `\XX`.
    static func filterEscaped(_ value: String) -> String {
        String(decoding: value.utf8.flatMap { byte -> [UInt8] in
            [0x2A, 0x28, 0x29, 0x5C, 0x00].contains(byte) ? Array(String(format: "\\%02x", byte).utf8) : [byte]
        }, as: UTF8.self)
    }

    @Test func anEscapedValueMatchesItselfOnly() async throws {
        await propertyCheck(count: Fuzz.count, input: Fuzz.scalar.array(of: 1...30)) { scalars in
            let value = Fuzz.string(scalars)
            let filter = try LDAPFilter.parse("(&(objectClass=user)(title=\(Self.filterEscaped(value))))")
            #expect(filter.matches(["objectClass": ["user"], "title": [value]]), "\(value.debugDescription)")
            #expect(!filter.matches(["objectClass": ["user"], "title": [value + "x"]]), "\(value.debugDescription)")
        }
    }

    @Test func anyTextParsesOrIsRefusedWithItsPosition() async {
        let alphabet = Gen.element(of: Array("()&|!=<>~*\\ abcAB01:.-\u{e9}"))
        await propertyCheck(count: Fuzz.count, input: alphabet.array(of: 0...40).map { String($0.compactMap { $0 }) }) { text in
            do {
                _ = try LDAPFilter.parse(text)
            } catch {
                #expect("\(error)".contains("at character"), "\(error)")
            }
        }
    }
}

@Suite("Fuzzing: SCIM responses")
struct SCIMResponseFuzzTests {
    static let list = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"startIndex":1,"itemsPerPage":2,"Resources":[{"id":"a","userName":"x","externalId":"e"},{"id":"b","userName":"y","members":[{"value":"a"}]}]}"#

    @Test func anEditedListResponseIsDecodedOrASCIMError() async throws {
        let statuses = Gen.element(of: [200, 200, 200, 201, 400, 404, 409, 500, 502]).map { $0 ?? 200 }
        let contentTypes = Gen.element(of: ["application/scim+json", "application/json", "text/html", "text/plain; charset=utf-8"])
            .map { $0 ?? "application/scim+json" }
        var cases: [(Int, String, String)] = []
        await propertyCheck(count: Fuzz.count, input: Fuzz.edits, statuses, contentTypes) { edits, status, type in
            cases.append((status, type, Fuzz.apply(edits, to: Self.list)))
        }
        let server = try await ScriptedHTTPServer(script: cases.map {
            .init(status: $0.0, headers: [("Content-Type", $0.1)], body: $0.2)
        })
        try await withCleanup { cleanup in
            cleanup.add { try await server.stop() }
            let client = SCIMClient(configuration: .init(baseURL: server.url, maxRetries: 0), credentials: BearerToken("t"),
                                    logger: Logger(label: "fuzz"))
            cleanup.add { await client.shutdown() }
            var decoded = 0, refused = 0
            for (status, _, body) in cases {
                do {
                    let page = try await client.list(.users)
                    #expect(status < 300, "a \(status) was taken for a list")
                    #expect(page.resources.count <= 2)
                    decoded += 1
                } catch let error as SCIMError {
                    #expect(!error.description.contains("\n") && error.description.count < 1_000, "\(error)")
                    refused += 1
                } catch {
                    Issue.record("not a SCIMError: \(type(of: error)) \(error)\n\(body)")
                }
            }
            print("SCIM response fuzzing: \(cases.count) responses, \(decoded) decoded, \(refused) refused as SCIMError")
        }
    }

    @Test func anyServiceProviderConfigIsReadWithoutTrapping() async {
        let numbers = Gen.element(of: ["1000", "0", "-1", "1", "2", "1.5", "1e400", "-1e400", "9223372036854775807",
                                       "9223372036854775808", "1e19", "\"10\"", "null", "true", "[]", "{}"]).map { $0 ?? "0" }
        await propertyCheck(count: Fuzz.count, input: numbers, numbers, Fuzz.edits) { operations, payload, edits in
            let text = Fuzz.apply(edits, to: #"{"bulk":{"supported":true,"maxOperations":\#(operations),"maxPayloadSize":\#(payload)},"filter":{"supported":true,"maxResults":200}}"#)
            guard let json = try? JSON.decode(Data(text.utf8)) else { return }
            let features = SCIMFeatures(json)
            if features.bulkSupported {
                #expect(features.bulkMaxOperations > 1 && features.bulkMaxPayload > 0, "\(text)")
            }
        }
    }
}
