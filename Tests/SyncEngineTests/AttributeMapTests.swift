import Foundation
import SyncStore
import Testing

@Suite("Attribute maps: canonical JSON and digest")
struct AttributeMapTests {
    let tricky: AttributeMap = [
        "cn": ["Müller, Jürgen", "quote \" and backslash \\", "tab\tnew\nline\r", "control \u{01}\u{1f}", "emoji 🧑‍💻 𝄞"],
        "empty": [], "member": ["CN=a\\,b,DC=x", ""], "z": ["last"],
    ]

    @Test func roundTripThroughCanonicalJSON() throws {
        let json = tricky.canonicalJSON()
        #expect(try AttributeMap.fromJSON(json) == tricky.normalized)
        // It is real JSON: Foundation reads it the same way.
        #expect(try JSONDecoder().decode(AttributeMap.self, from: Data(json.utf8)) == tricky.normalized)
        #expect(!json.contains("\"empty\""), "empty lists have one representation: none")
        #expect(json.hasPrefix("{\"cn\":"), "keys are sorted")
    }

    @Test func jsonFromElsewhereStillReads() throws {
        // Escapes canonicalJSON does not write, and whitespace, go through JSONDecoder.
        #expect(try AttributeMap.fromJSON(#"{ "a" : ["\u00e9\/x", "\ud834\udd1e"] }"#) == ["a": ["é/x", "𝄞"]])
        #expect(try AttributeMap.fromJSON(#"{"a":["\u00e9"]}"#) == ["a": ["é"]])
        #expect(throws: (any Error).self) { try AttributeMap.fromJSON(#"{"a":"not a list"}"#) }
    }

    @Test func digestIsStableAndSensitive() {
        var reordered = tricky
        reordered["member"] = ["CN=a\\,b,DC=x", ""]
        #expect(tricky.digest() == reordered.digest())
        #expect(tricky.digest().count == 64 && tricky.digest().allSatisfy { "0123456789abcdef".contains($0) })
        var changed = tricky
        changed["z"] = ["Last"]
        #expect(tricky.digest() != changed.digest())
    }
}
