import Foundation
import PropertyBased
import Testing
@testable import Vault

/// Property-based fuzzing of the two decoders of key material: the export file (`KeyFile.decode`) and
/// the stored key set (`StoredKeySet.decode`), and of unlocking what they accept. Any input gives a key
/// or a `VaultError`; none traps, none does unbounded work. IDSYNC_FUZZ_COUNT sets the cases (`make fuzz`).
@Suite("Fuzzing: key files and stored key sets")
struct KeyFileFuzzTests {
    static let count = ProcessInfo.processInfo.environment["IDSYNC_FUZZ_COUNT"].flatMap(Int.init) ?? 200
    static let passphrase = "export passphrase"
    static let key: ServerKey = {
        var key = ServerKey.generate()
        key.rotate()
        return key
    }()
    static let exportFile = try! KeyFile(keySet: key.stored(wrappers: [try! key.wrap(.export, secret: passphrase, parameters: .testing)])).encoded()
    static let storedSet = key.stored(wrappers: [try! key.wrap(.serviceAccount, secret: passphrase, parameters: .testing),
                                                 try! key.wrap(.export, secret: passphrase, parameters: .testing)]).encoded()

    /// Byte edits: each (position, kind, byte) deletes, inserts, replaces, or copies a run elsewhere.
    static let edits = zip(Gen<Int>.value(in: 0...1_000_000), Gen<Int>.value(in: 0...3), Gen<UInt8>.value(in: 0...255))
        .array(of: 1...8)

    static func apply(_ edits: [(Int, Int, UInt8)], to data: Data) -> Data {
        var bytes = [UInt8](data)
        for (position, kind, byte) in edits where !bytes.isEmpty {
            let index = position % bytes.count
            switch kind {
            case 0: bytes.remove(at: index)
            case 1: bytes.insert(byte, at: index)
            case 2: bytes[index] = byte
            default:   // duplicates a run: a term, a wrapper or a field listed twice
                let run = bytes[index..<min(bytes.count, index + Int(byte))]
                bytes.insert(contentsOf: run, at: (index * 7919) % (bytes.count + 1))
            }
        }
        return Data(bytes)
    }

    /// Unlocks what a decoder accepted, when its cost is no more than the test setting's (an edit may
    /// raise it within the bounds; the bounds themselves are KeyMaterialBoundsTests').
    static func unlockIfCheap(_ set: StoredKeySet, kind: WrapperKind) {
        guard set.wrappers.allSatisfy({ $0.parameters.logN <= 10 && $0.parameters.r <= 8 && $0.parameters.p <= 1 }) else { return }
        do {
            let opened = try ServerKey.unlock(set, kind: kind, secret: passphrase)
            #expect(opened.keySetID == set.id)
            #expect(Set(opened.terms.map(\.term)) == Set(set.terms.map(\.term)))
        } catch is VaultError {
        } catch {
            Issue.record("unlock threw \(type(of: error)): \(error)")
        }
    }

    @Test func theIntactFilesOpen() throws {
        let file = try KeyFile.decode(Self.exportFile)
        #expect(try ServerKey.unlock(file.keySet, kind: .export, secret: Self.passphrase).terms.map(\.term) == [1, 2])
        let stored = try StoredKeySet.decode(Self.storedSet)
        #expect(try ServerKey.unlock(stored, kind: .serviceAccount, secret: Self.passphrase).activeTerm == 2)
    }

    @Test func anEditedExportFileOpensOrIsRefused() async {
        await propertyCheck(count: Self.count, input: Self.edits) { edits in
            let data = Self.apply(edits, to: Self.exportFile)
            do {
                let file = try KeyFile.decode(data)
                #expect(Set(file.keySet.terms.map(\.term)).count == file.keySet.terms.count, "a duplicate term was accepted")
                Self.unlockIfCheap(file.keySet, kind: .export)
            } catch is VaultError {
            } catch {
                Issue.record("decode threw \(type(of: error)): \(error)")
            }
        }
    }

    @Test func anEditedStoredKeySetOpensOrIsRefused() async {
        await propertyCheck(count: Self.count, input: Self.edits) { edits in
            let data = Self.apply(edits, to: Self.storedSet)
            do {
                let set = try StoredKeySet.decode(data)
                #expect(set.wrappers.count <= KeySetLimits.maxWrappers)
                Self.unlockIfCheap(set, kind: .serviceAccount)
            } catch is VaultError {
            } catch {
                Issue.record("decode threw \(type(of: error)): \(error)")
            }
        }
    }

    /// Structurally valid JSON with random terms, counts and costs: whatever the decoder accepts keeps the bounds.
    @Test func arbitraryShapesKeepTheBounds() async {
        let shapes = zip(Gen<Int>.value(in: -2...300).array(of: 0...12), Gen<Int>.value(in: -1...70), Gen<Int>.value(in: -1...70),
                         Gen<Int>.value(in: -1...40), Gen<Int>.value(in: 0...6), Gen<Int>.value(in: 0...40))
        await propertyCheck(count: Self.count, input: shapes) { terms, logN, r, p, wrappers, saltLength in
            var set = try StoredKeySet.decode(Self.storedSet)
            set.terms = terms.map { TermInfo(term: $0, created: set.created) }
            set.activeTerm = terms.first ?? 1
            set.wrappers = Array(repeating: set.wrappers[1], count: wrappers).map { wrapper in
                var wrapper = wrapper
                wrapper.parameters = ScryptParameters(logN: logN, r: r, p: p)
                wrapper.salt = Array(repeating: 1, count: saltLength)
                return wrapper
            }
            do {
                let file = try KeyFile.decode(try KeyFile(keySet: set).encoded())
                let accepted = file.keySet
                #expect(Set(accepted.terms.map(\.term)).count == accepted.terms.count && !accepted.terms.isEmpty)
                #expect((1...KeySetLimits.maxWrappers).contains(accepted.wrappers.count))
                for wrapper in accepted.wrappers {
                    let parameters = wrapper.parameters
                    #expect(128 * parameters.r * (1 << parameters.logN) <= ScryptParameters.maxMemory)
                    #expect(wrapper.salt.count == 16)
                }
            } catch is VaultError {
            } catch {
                Issue.record("decode threw \(type(of: error)): \(error)")
            }
        }
    }
}
