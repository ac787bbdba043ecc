import Foundation
import IDSyncTesting
import Testing

/// `key rotate`, `key abandon`, `key import` and `service change-password` killed (SIGKILL) at every step —
/// before, inside and after their storage transaction, and after their event — on one installation per
/// operation, step after step. After each kill `key show` must unlock the key and say which one it is: the
/// old before the commit, the new after it.
@Suite("Key lifecycle: killed at every step, the old or the new key works", .hangGuard)
struct KeyLifecycleCrashTests {
    /// What `key show` says.
    struct Shown {
        let keySet: String
        let activeTerm: Int
        let wrappers: Int
        let unlocks: Bool
        let reenter: Bool
        let output: String

        init(_ result: ProcessResult) throws {
            let lines = result.stdout.split(separator: "\n").map(String.init)
            func field(_ name: String) -> String? {
                lines.first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            guard result.status == 0, let keySet = field("key set"), let terms = field("terms"), let unlocks = field("unlocks"),
                  let active = terms.split(separator: ";").first(where: { $0.contains("(active)") })?
                      .trimmingCharacters(in: .whitespaces).split(separator: " ").first.flatMap({ Int($0) })
            else { throw CommandFailed(description: "key show: \(result.output)") }
            self.keySet = keySet
            activeTerm = active
            wrappers = lines.filter { $0.hasPrefix("wrapper:") }.count
            self.unlocks = unlocks.hasPrefix("yes")
            reenter = result.stdout.contains("RE-ENTER")
            output = result.stdout
        }
    }

    func show(_ setup: VaultedInstallation) async throws -> Shown { try Shown(await setup.idsync(["key", "show"])) }

    /// Runs idsync with the failpoint armed; it must die there.
    func killed(_ setup: VaultedInstallation, _ arguments: [String], at point: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["IDSYNC_CONFIG"] = setup.install.configPath
        environment["IDSYNC_FAILPOINT"] = point
        let result = try await runProcess([Repository.idsyncBinary] + arguments, environment: environment)
        #expect(result.status == 128 + 9, "\(arguments) was not killed at \(point): \(result.output)")
    }

    func reenterSecrets(_ setup: VaultedInstallation) async throws {
        try expectSuccess(await setup.idsync(["connector", "set-password", "contoso.test",
                                              "--password-file", try setup.secretFile("adconn", setup.directory.bindPassword)]))
        try expectSuccess(await setup.idsync(["connector", "set-password", "cloud"], stdin: setup.scim.token + "\n"))
    }

    func report(_ operation: String, _ survived: Int, of total: Int) {
        print("key lifecycle crashes: \(operation): \(survived)/\(total) kills survived")
    }

    @Test("key rotate --reencrypt, killed at each of its 6 steps")
    func rotate() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            var survived = 0
            for step in 1...6 {
                let before = try await show(setup)
                try await killed(setup, ["key", "rotate", "--reencrypt"], at: "rotate:\(step)")
                let after = try await show(setup)
                let committed = step >= 5
                #expect(after.unlocks && !after.reenter, "after rotate:\(step): \(after.output)")
                #expect(after.keySet == before.keySet)
                #expect(after.activeTerm == before.activeTerm + (committed ? 1 : 0), "rotate:\(step): \(after.output)")
                // With the new term, every secret moved to it; with the old, none did.
                #expect(after.output.components(separatedBy: "vault, term \(after.activeTerm)").count - 1 == 2, "\(after.output)")
                if after.unlocks && !after.reenter { survived += 1 }
            }
            report("rotate", survived, of: 6)
        }
    }

    @Test("key abandon, killed at each of its 5 steps")
    func abandon() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            var survived = 0
            for step in 1...5 {
                let before = try await show(setup)
                try await killed(setup, ["key", "abandon", "--yes"], at: "abandon:\(step)")
                let after = try await show(setup)
                let committed = step >= 4
                #expect(after.unlocks, "after abandon:\(step): \(after.output)")
                #expect((after.keySet != before.keySet) == committed, "abandon:\(step): \(before.keySet) → \(after.keySet)")
                // The new key cannot read what the old one sealed: key show names what to enter again.
                #expect(after.reenter == committed, "abandon:\(step): \(after.output)")
                if committed { try await reenterSecrets(setup) }
                let final = try await show(setup)
                if after.unlocks && final.unlocks && !final.reenter { survived += 1 }
            }
            report("abandon", survived, of: 5)
        }
    }

    @Test("key import over an abandoned key, killed at each of its 4 steps")
    func importKey() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let exported = try await show(setup).keySet
            let file = setup.install.directory.file("key.export")
            let passphrase = try setup.secretFile("pp", "an export passphrase \(UUID().uuidString)")
            try expectSuccess(await setup.idsync(["key", "export", "--file", file, "--passphrase-file", passphrase]))
            var survived = 0
            for step in 1...4 {
                try expectSuccess(await setup.idsync(["key", "abandon", "--yes"]))
                let abandoned = try await show(setup).keySet
                try await killed(setup, ["key", "import", "--file", file, "--passphrase-file", passphrase], at: "import:\(step)")
                let after = try await show(setup)
                let committed = step >= 3
                #expect(after.unlocks, "after import:\(step): \(after.output)")
                #expect(after.keySet == (committed ? exported : abandoned), "import:\(step): \(after.keySet)")
                if after.unlocks && after.keySet == (committed ? exported : abandoned) { survived += 1 }
            }
            report("import", survived, of: 4)
        }
    }

    @Test("service change-password, killed at each of its 7 steps; the service then starts")
    func changePassword() async throws {
        let setup = try await VaultedInstallation.make()
        try await withCleanup { cleanup in
            cleanup.add { await setup.cleanUp() }
            try await setup.configure()
            let stored = { try String(contentsOfFile: setup.install.directory.file("service.password"), encoding: .utf8)
                .trimmingCharacters(in: .newlines) }
            // In the order PasswordChange takes them; the directory has the new password from change-password:3 on.
            let points = ["change-password:1", "add-wrapper:1", "change-password:2", "change-password:3", "change-password:4",
                          "rewrap:1", "rewrap:2"]
            var survived = 0
            for (index, point) in points.enumerated() {
                let old = try stored()
                let new = SambaDC.randomPassword()
                let before = try await show(setup)
                try await killed(setup, ["service", "change-password", "--new-password-file", try setup.secretFile("new", new)], at: point)
                let after = try await show(setup)
                #expect(after.unlocks && !after.reenter && after.keySet == before.keySet, "after \(point): \(after.output)")
                // A start finishes an interrupted change (or finds nothing to finish) and logs on with the password kept.
                let started = try await setup.install.startService()
                #expect(started.status == 0, "after \(point) the service did not start: \(started.output)")
                _ = try await setup.install.stopService()
                let expected = index >= 3 ? new : old
                #expect(try stored() == expected, "after \(point) the stored password is not the \(index >= 3 ? "new" : "old") one")
                let settled = try await show(setup)
                #expect(settled.wrappers == 1, "after \(point) and a start: \(settled.output)")
                let kept = try stored()
                if after.unlocks && started.status == 0 && kept == expected && settled.unlocks { survived += 1 }
            }
            report("change-password", survived, of: points.count)
        }
    }
}
