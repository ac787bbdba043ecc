import Foundation
import IDSyncTesting
import LDAP
import Testing

/// `service change-password` when the directory's answer is lost (the change happened, idsync never heard)
/// and when the service starts, or already runs, beside it. Between idsync and the DC sits an `AnswerGate`;
/// it asks the DC itself whether the new password is in place before each piece of an answer, so it loses
/// or holds exactly the answer to the change.
@Suite("Password change: lost answers and a service starting beside it", .hangGuard)
struct PasswordChangeRaceTests {
    /// What the gate does with the DC's answers.
    actor Gatekeeper {
        enum Mode {
            case forward
            /// Once the DC has `password`: lose that answer, then (with `dark`) every answer until `arm(.forward)`.
            case lose(password: String, dark: Bool)
            /// Once the DC has `password`: hold the answer until `release`.
            case hold(password: String)
            case dark

            /// The password whose arrival in the directory this mode waits for.
            var awaited: String? {
                switch self {
                case .lose(let password, _), .hold(let password): password
                case .forward, .dark: nil
                }
            }
        }

        let setup: VaultedInstallation
        private var mode = Mode.forward
        private(set) var lost = 0
        private(set) var checkFailures: [String] = []
        private var released: CheckedContinuation<Void, Never>?
        private var isReleased = false
        private var heldWaiter: CheckedContinuation<Bool, Never>?
        private var isHeld = false
        private var changeHasEnded = false
        /// One connection to the DC (not through the gate) for every check: a new TLS session per piece of
        /// an answer would make each handshake through the gate wait for several others on a busy machine.
        private var checker: LDAPConnection?
        /// Checks run one after another on that connection (the actor lets a second caller in while the
        /// first waits for the DC).
        private var lastCheck: Task<Bool, Never>?

        init(_ setup: VaultedInstallation) { self.setup = setup }

        func arm(_ mode: Mode) { self.mode = mode }

        func decide() async -> AnswerGate.Verdict {
            guard let password = mode.awaited else {
                if case .dark = mode { return .lose }
                return .forward
            }
            let arrived = await directoryHas(password)
            // Another piece of an answer may have been decided while this one waited for the DC.
            switch mode {
            case .lose(let awaited, let dark) where arrived && awaited == password:
                lost += 1
                mode = dark ? .dark : .forward
                return .lose
            case .hold(let awaited) where arrived && awaited == password:
                mode = .forward
                isHeld = true
                heldWaiter?.resume(returning: true)
                heldWaiter = nil
                if !isReleased { await withCheckedContinuation { released = $0 } }
                return .forward
            case .dark:
                return .lose
            default:
                return .forward
            }
        }

        /// True once an answer is held; false when change-password ended first (`changeEnded`).
        func waitUntilHeld() async -> Bool {
            if isHeld { return true }
            if changeHasEnded { return false }
            return await withCheckedContinuation { heldWaiter = $0 }
        }

        /// The change-password run the test waits on has ended, whatever its outcome.
        func changeEnded() {
            changeHasEnded = true
            heldWaiter?.resume(returning: false)
            heldWaiter = nil
        }

        /// Lets a held answer through (and any later one: nothing is held after this).
        func release() {
            isReleased = true
            released?.resume()
            released = nil
        }

        func close() async {
            _ = await lastCheck?.value
            await checker?.close()
            checker = nil
        }

        /// Whether the DC accepts the service account with `password` now.
        private func directoryHas(_ password: String) async -> Bool {
            let previous = lastCheck
            let check = Task { _ = await previous?.value; return await bind(password) }
            lastCheck = check
            return await check.value
        }

        private func bind(_ password: String) async -> Bool {
            var failure: Error?
            // A second try on a new connection: the DC may have closed an idle one.
            for _ in 0..<2 {
                do {
                    let connection = try await checkConnection()
                    do {
                        try await connection.simpleBind(dn: setup.serviceUPN, password: password)
                        return true
                    } catch let error as LDAPError where error.isInvalidCredentials {
                        return false
                    }
                } catch {
                    failure = error
                    await checker?.close()
                    checker = nil
                }
            }
            checkFailures.append("\(failure.map { "\($0)" } ?? "no answer")")
            return false
        }

        private func checkConnection() async throws -> LDAPConnection {
            if let checker { return checker }
            let connection = try await LDAPConnection.connect(setup.dc.connectionOptions())
            checker = connection
            return connection
        }
    }

    /// An installation whose connector reaches the DC through a gate.
    struct Gated {
        let setup: VaultedInstallation
        let gate: AnswerGate
        let keeper: Gatekeeper

        static func make() async throws -> Gated {
            let setup = try await VaultedInstallation.make()
            try await setup.configure()
            let keeper = Gatekeeper(setup)
            let gate = try await setup.routeThroughGate { await keeper.decide() }
            return Gated(setup: setup, gate: gate, keeper: keeper)
        }

        func cleanUp() async {
            // A held answer is let through first, so the change and the gate's relays can end.
            await keeper.release()
            await setup.cleanUp()
            await gate.stop()
            await keeper.close()
        }

        func changePassword(to password: String) async throws -> ProcessResult {
            try await setup.idsync(["service", "change-password", "--new-password-file", try setup.secretFile("new", password)])
        }

        func stored() throws -> String {
            try String(contentsOfFile: setup.install.directory.file("service.password"), encoding: .utf8).trimmingCharacters(in: .newlines)
        }

        /// The service account's wrappers and whether the stored password unlocks the key, per `key show`.
        func keyState() async throws -> (unlocks: Bool, wrappers: Int, output: String) {
            let shown = try await setup.idsync(["key", "show"])
            let lines = shown.stdout.split(separator: "\n")
            let unlocks = lines.contains { $0.hasPrefix("unlocks:") && $0.dropFirst("unlocks:".count).trimmingCharacters(in: .whitespaces).hasPrefix("yes") }
            return (shown.status == 0 && unlocks, lines.filter { $0.hasPrefix("wrapper:") }.count, shown.output)
        }

        func expectDirectory(has password: String, _ comment: Comment) async throws {
            let connection = try await LDAPConnection.connect(setup.dc.connectionOptions())
            do {
                try await connection.simpleBind(dn: setup.serviceUPN, password: password)
            } catch let error as LDAPError where error.isInvalidCredentials {
                Issue.record("the directory refuses the password expected: \(comment)")
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
        }

        /// Starts the service, expects it to run, and stops it.
        func expectServiceStarts(_ comment: Comment) async throws {
            let started = try await setup.install.startService()
            #expect(started.status == 0, "\(comment): the service did not start: \(started.output)\n\(targetState())")
            try expectSuccess(await setup.install.stopService())
        }

        /// Whether this test's SCIM server still runs and what it last answered, for a failed start.
        func targetState() -> String {
            let running = kill(setup.scim.pid, 0) == 0
            let requests: String
            do {
                requests = try setup.scim.requests().suffix(5).map(\.description).joined(separator: ", ")
            } catch {
                requests = "unreadable (\(error))"
            }
            return "this test's scim2-server (pid \(setup.scim.pid), \(setup.scim.url)) is \(running ? "running" : "gone"); "
                + "its last requests: \(requests)"
        }
    }

    @Test("the directory changed the password but its answer was lost: change-password asks it and finishes")
    func answerLost() async throws {
        let gated = try await Gated.make()
        try await withCleanup { cleanup in
            cleanup.add { await gated.cleanUp() }
            let new = SambaDC.randomPassword()
            await gated.keeper.arm(.lose(password: new, dark: false))
            let changed = try await gated.changePassword(to: new)
            #expect(await gated.keeper.lost == 1, "the gate lost no answer")
            #expect(changed.status == 0, "change-password after a lost answer: \(changed.output)")
            try await gated.expectDirectory(has: new, "after the lost answer")
            #expect(try gated.stored() == new, "the stored password is not the one the directory has")
            let key = try await gated.keyState()
            #expect(key.unlocks && key.wrappers == 1, "\(key.output)")
            try await gated.expectServiceStarts("after the lost answer")
            let checkFailures = await gated.keeper.checkFailures
            #expect(checkFailures.isEmpty, "logging on to the DC to see its password failed: \(checkFailures)")
        }
    }

    @Test("answer lost and the directory unreachable afterwards: the next start, or change-password run again, keeps the password the directory has")
    func answerLostThenUnreachable() async throws {
        let gated = try await Gated.make()
        try await withCleanup { cleanup in
            cleanup.add { await gated.cleanUp() }
            // Settled by the service's start.
            let first = SambaDC.randomPassword()
            let old = try gated.stored()
            await gated.keeper.arm(.lose(password: first, dark: true))
            let unknown = try await gated.changePassword(to: first)
            #expect(unknown.status != 0 && unknown.stderr.contains("unknown"), "change-password with the outcome unknown: \(unknown.output)")
            #expect(!unknown.output.contains(first) && !unknown.output.contains(old), "a password in the output: \(unknown.output)")
            let between = try await gated.keyState()
            #expect(between.unlocks, "with the outcome unknown the stored password must still open the key: \(between.output)")
            await gated.keeper.arm(.forward)
            try await gated.expectServiceStarts("after an unknown outcome")
            #expect(try gated.stored() == first, "the start did not keep the password the directory has")
            #expect(try await gated.keyState().wrappers == 1)

            // Settled by running change-password again, to a third password.
            let second = SambaDC.randomPassword()
            await gated.keeper.arm(.lose(password: second, dark: true))
            #expect(try await gated.changePassword(to: second).status != 0)
            await gated.keeper.arm(.forward)
            let third = SambaDC.randomPassword()
            let rerun = try await gated.changePassword(to: third)
            #expect(rerun.status == 0, "change-password run again after an unknown outcome: \(rerun.output)")
            try await gated.expectDirectory(has: third, "after the second change")
            #expect(try gated.stored() == third)
            let key = try await gated.keyState()
            #expect(key.unlocks && key.wrappers == 1, "\(key.output)")
            try await gated.expectServiceStarts("after change-password ran again")
            #expect(await gated.keeper.lost == 2)
            let checkFailures = await gated.keeper.checkFailures
            #expect(checkFailures.isEmpty, "logging on to the DC to see its password failed: \(checkFailures)")
        }
    }

    @Test("change-password refuses while the service runs, naming idsync service stop")
    func refusedWhileServiceRuns() async throws {
        let gated = try await Gated.make()
        try await withCleanup { cleanup in
            cleanup.add { await gated.cleanUp() }
            let old = try gated.stored()
            let started = try await gated.setup.install.startService()
            try #require(started.status == 0, "\(started.output)")
            let new = SambaDC.randomPassword()
            let refused = try await gated.changePassword(to: new)
            #expect(refused.status != 0 && refused.stderr.contains("idsync service stop"), "change-password beside the service: \(refused.output)")
            try await gated.expectDirectory(has: old, "after the refusal")
            #expect(try gated.stored() == old)
            #expect(!FileManager.default.fileExists(atPath: gated.setup.install.directory.file("service.password.pending")))
            try expectSuccess(await gated.setup.install.stopService())
        }
    }

    @Test("the service does not start while change-password is in progress, and starts with the new password after it")
    func serviceRefusedDuringChange() async throws {
        let gated = try await Gated.make()
        try await withCleanup { cleanup in
            cleanup.add { await gated.cleanUp() }
            let new = SambaDC.randomPassword()
            await gated.keeper.arm(.hold(password: new))
            let change = Task {
                do {
                    let result = try await gated.changePassword(to: new)
                    await gated.keeper.changeEnded()
                    return result
                } catch {
                    await gated.keeper.changeEnded()
                    throw error
                }
            }
            cleanup.add { await gated.keeper.release(); _ = try await change.value }
            // The directory has the new password; change-password waits for its answer.
            guard await gated.keeper.waitUntilHeld() else {
                let ended = try await change.value
                Issue.record("change-password ended before the directory had the new password: \(ended.output)")
                return
            }
            let started = try await gated.setup.install.startService()
            #expect(started.status != 0, "the service started in the middle of a password change: \(started.output)")
            let log = try serviceLog(started, gated)
            #expect(log.contains("idsync service change-password"), "the service log does not say why: \(log)")
            await gated.keeper.release()
            let changed = try await change.value
            #expect(changed.status == 0, "change-password, held while the service tried to start: \(changed.output)")
            #expect(try gated.stored() == new)
            let key = try await gated.keyState()
            #expect(key.unlocks && key.wrappers == 1, "\(key.output)")
            try await gated.expectServiceStarts("after the change")
        }
    }

    /// The service's log, which `service start` names when the service exited without a state.
    func serviceLog(_ started: ProcessResult, _ gated: Gated) throws -> String {
        guard let range = started.output.range(of: "see ") else { return started.output }
        let path = started.output[range.upperBound...].split(separator: "\n").first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        return try String(contentsOfFile: path, encoding: .utf8)
    }
}
