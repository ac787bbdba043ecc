import ArgumentParser
import Foundation
import SyncEngine
import SyncService
import Vault

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "The server encryption key that protects the connectors' secrets (the seed's miiskmu).",
        subcommands: [Show.self, Abandon.self, Export.self, Import.self, Rotate.self, Recover.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the key set: id, terms, wrappers, and whether each connector's secret is readable.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            guard let stored = try context.keys.storedKeySet() else {
                print("no server encryption key yet: it is created by the first `idsync connector set-password` or service start")
                return
            }
            print("key set:   \(stored.id)")
            print("created:   \(Format.time(stored.created))")
            print("terms:     " + stored.terms.map { "\($0.term)\($0.term == stored.activeTerm ? " (active)" : "") created \(Format.time($0.created))" }
                .joined(separator: "; "))
            for wrapper in stored.wrappers {
                print("wrapper:   \(wrapper.kind.rawValue), \(wrapper.kdf) N=2^\(wrapper.parameters.logN) r=\(wrapper.parameters.r) "
                      + "p=\(wrapper.parameters.p), created \(Format.time(wrapper.created))")
            }
            if let list = stored.records {
                print("records:   \(list.entries.count) sealed secrets listed (change \(list.generation), signed with term \(list.term))")
            } else {
                print("records:   not listed yet: the first unlock lists them")
            }
            var key: ServerKey?
            do {
                key = try context.unlockKey()
                print("unlocks:   yes, with the service account's stored password")
            } catch {
                print("unlocks:   NO — \(error)")
            }
            print("\nconnector secrets:")
            let records = try context.keys.credentialStatus(key: key)
            var table = Table(headers: ["CONNECTOR", "SECRET", "SOURCE", "STATE"])
            for connector in config.connectors {
                let (field, file) = SecretField.of(connector)
                if let file {
                    table.add([connector.name, field, "file \(file)", FileManager.default.isReadableFile(atPath: file) ? "readable" : "MISSING"])
                } else if let entry = records.first(where: { $0.record.connector == connector.name && $0.record.field == field }) {
                    let term = entry.record.sealed.flatMap { try? CredentialRecordFormat.term(of: $0) }.map { ", term \($0)" } ?? ""
                    table.add([connector.name, field, "vault\(term)",
                               entry.readable ? "readable" : "RE-ENTER (\(SecretField.reentry(connector))): \(entry.problem ?? "")"])
                } else {
                    table.add([connector.name, field, "vault", "NOT SET: \(SecretField.reentry(connector))"])
                }
            }
            print(table.render())
        }
    }

    struct Abandon: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Abandon the server encryption key and create a new one (miiskmu /a).",
            discussion: """
                Every secret stored under the old key becomes unrecoverable and must be entered again \
                (`idsync connector set-password`, `idsync cloud-account reinit`). Refused while the service runs. \
                Use it when the key cannot be accessed and neither `key recover` nor `key import` can bring it back.
                """)
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            try context.requireServiceStopped("abandon the key")
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else { throw CLIError("abandoning the key loses every stored secret: confirm with --yes") }
                FileHandle.standardError.write(Data("Every stored connector secret will have to be entered again. Type 'abandon' to go on: ".utf8))
                guard readLine() == "abandon" else { throw CLIError("not abandoned") }
            }
            let password = try context.account().readPassword()
            let old = try context.keys.storedKeySet()?.id
            let lost = try context.keys.abandon(servicePassword: password)
            let new = try context.keys.storedKeySet()?.id ?? "?"
            let names = lost.map { "\($0.connector) (\($0.field))" }
            context.events.record(IDSyncEvent.keyAbandoned(old: old, new: new, reenter: names))
            Failpoint.hit("abandon:5")
            print("abandoned key set \(old ?? "none"); new key set \(new), wrapped under the service account's password")
            if lost.isEmpty {
                print("no stored secret was lost")
            } else {
                print("enter these again:")
                for connector in Set(lost.map(\.connector)).sorted() {
                    let fields = lost.filter { $0.connector == connector }.map(\.field).joined(separator: ", ")
                    let how = config.connector(named: connector).map(SecretField.reentry) ?? "idsync connector set-password \(connector)"
                    print("  \(connector): \(fields) — \(how)")
                }
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the key set to a file protected by a passphrase (miiskmu /e), for a standby server or recovery.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The key file to write (created 0600; an existing file is not overwritten).") var file: String
        @Option(help: "Read the passphrase from this file instead of standard input.") var passphraseFile: String?

        func run() throws {
            let config = try global.loadConfig()
            guard !FileManager.default.fileExists(atPath: file) else { throw CLIError("\(file) exists: choose a new file name") }
            let context = try ServiceContext(config)
            let key = try context.unlockKey()
            let passphrase = try SecretInput.read("passphrase", file: passphraseFile, confirm: true)
            guard passphrase.count >= 12 else { throw CLIError("the passphrase must be at least 12 characters") }
            try SecureFile.write(try context.keys.export(key: key, passphrase: passphrase), to: file)
            context.events.record(IDSyncEvent.keyExported(key.keySetID, file: file))
            print("key set \(key.keySetID) exported to \(file)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore the key set from a key file (miiskmu /i) and wrap it under this service account's password.",
            discussion: """
                Refused while the service runs. Nothing is changed unless the passphrase opens the file and importing \
                it keeps every stored secret readable: a file of another key set is refused while secrets sealed under \
                the current one are stored, and a file of this key set taken before a `key rotate` is refused, naming \
                the terms it lacks.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The key file written by `idsync key export`.") var file: String
        @Option(help: "Read the passphrase from this file instead of standard input.") var passphraseFile: String?

        func run() throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            try context.requireServiceStopped("import the key")
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
            let passphrase = try SecretInput.read("passphrase", file: passphraseFile)
            let password = try context.account().readPassword()
            do {
                let key = try context.keys.importKey(data, passphrase: passphrase, servicePassword: password)
                context.events.record(IDSyncEvent.keyImported(key.keySetID, file: file))
                Failpoint.hit("import:4")
                print("key set \(key.keySetID) imported from \(file) and wrapped under the service account's password")
            } catch let error as VaultError {
                throw CLIError("\(file): \(error); nothing was changed")
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a key term for new secrets; --reencrypt moves every stored secret to it.",
            discussion: "Older terms stay readable until no secret uses them; then they are dropped. Refused while the service runs.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Re-encrypt every stored secret with the new term (and drop the terms no longer used).") var reencrypt = false

        func run() throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            try context.requireServiceStopped("rotate the key")
            _ = try context.unlockKey()
            let rotation = try context.keys.rotate(servicePassword: try context.account().readPassword(), reencrypt: reencrypt)
            context.events.record(IDSyncEvent.keyRotated(term: rotation.newTerm, reencrypted: rotation.reencrypted, dropped: rotation.droppedTerms))
            Failpoint.hit("rotate:6")
            print("new term \(rotation.newTerm); \(rotation.reencrypted) secrets re-encrypted"
                  + (rotation.droppedTerms.isEmpty ? "" : "; dropped terms \(rotation.droppedTerms.map(String.init).joined(separator: ", "))"))
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After a password reset made elsewhere: open the key with the previous password and rewrap it under the current one.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "File holding the service account's previous password.") var previousPasswordFile: String?

        func run() throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            let previous = try SecretInput.read("previous password", file: previousPasswordFile)
            do {
                try context.keys.recover(previousPassword: previous, currentPassword: try context.account().readPassword())
            } catch let error as VaultError {
                throw CLIError("\(error); nothing was changed")
            }
            context.events.record(IDSyncEvent.keyRecovered())
            print("the server encryption key is wrapped under the current service account password again")
        }
    }
}
