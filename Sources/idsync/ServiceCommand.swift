import ArgumentParser
import Foundation
import SyncService
import SyncStore

struct ServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "The idsync service: its account, and running it.",
        subcommands: [Run.self, Start.self, Stop.self, Status.self, SetAccount.self, ChangePassword.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the service in the foreground (systemd's ExecStart; see packaging/idsync.service).",
            discussion: """
                Start order: log on as the service account (a bind to the directory), unwrap the server encryption \
                key, open the connectors, then run a sync cycle every service.schedule.interval. SIGTERM stops it \
                after the current step. Notifies systemd (Type=notify) when it runs.
                """)
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig(logLevel: .info)
            let status = await ServiceHost(config: config, store: try openStore(config), logger: cliLogger).run()
            if status != 0 { throw ExitCode(status) }
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the service in the background and wait until it runs or has failed.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            let control = ServiceControl(config: config, store: try openStore(config))
            switch try await control.start() {
            case .started(let pid):
                print("the idsync service is running (pid \(pid)); output goes to \(control.logFile)")
            case .alreadyRunning(let pid):
                throw CLIError("the idsync service is already running\(pid.map { " (pid \($0))" } ?? "")")
            case .failed(let state):
                let reason: String
                switch state?.errorCode {
                case IDSyncEvent.logonFailureCode?:
                    reason = IDSyncEvent.logonFailureText
                case IDSyncEvent.keyUnavailableCode?:
                    reason = "For more information, review the event log (idsync events). Service-specific error code \(IDSyncEvent.keyUnavailableCode)."
                default:
                    reason = state?.message ?? "see \(control.logFile)"
                }
                throw CLIError("could not start the idsync service. \(reason)")
            }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the service after its current step.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let config = try global.loadConfig()
            let stopped = try await ServiceControl(config: config, store: try openStore(config)).stop()
            print(stopped ? "the idsync service stopped" : "the idsync service is not running")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show whether the service runs, its pid, how its last start ended (with the error code), and the last run.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let config = try global.loadConfig()
            let status = try ServiceControl(config: config, store: try openStore(config)).status()
            let state = status.state
            let shown = status.running ? "running" : (state?.state == .failed ? "stopped (last start failed)" : "stopped")
            print("state:       \(shown)")
            if status.running, let pid = state?.pid { print("pid:         \(pid)") }
            if let state {
                print("last start:  \(Format.time(state.started)) — \(state.state.rawValue)")
                if let code = state.errorCode { print("error code:  \(code)") }
                if let message = state.message { print("message:     \(message)") }
            }
            if let run = status.lastRun {
                print("last run:    \(run.connector) \(run.profile.rawValue) \(run.status.rawValue) at \(Format.time(run.started))")
            }
        }
    }

    struct SetAccount: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-account",
            abstract: "Set the service account's password where the service reads it (the Log On tab of Windows' Services).",
            discussion: """
                Writes the password (0600, atomically) to service.password_file. The account must match service.account \
                in the configuration. The password is checked by logging on; with --no-verify it is stored as given.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The service account, as service.account names it.") var account: String
        @Option(help: "Read the password from this file instead of standard input.") var passwordFile: String?
        @Flag(help: "Store the password without checking it against the directory.") var noVerify = false

        func run() async throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            let serviceAccount = try context.account()
            guard account.caseInsensitiveCompare(serviceAccount.account) == .orderedSame else {
                throw CLIError("\(account) is not the configured service.account (\(serviceAccount.account)): change the configuration first")
            }
            let password = try SecretInput.read("password", file: passwordFile, confirm: true)
            if !noVerify {
                switch await serviceAccount.logOn(password: password) {
                case .success: break
                case .wrongPassword: throw CLIError("the directory refuses this password for \(account): \(IDSyncEvent.logonFailureText)")
                case .unavailable(let reason): throw CLIError("cannot check the password: \(reason) (use --no-verify to store it anyway)")
                }
            }
            try serviceAccount.writePassword(password)
            context.events.record(IDSyncEvent.serviceAccountSet(account))
            print("\(account): password stored in \(serviceAccount.passwordFile) (0600)")
        }
    }

    struct ChangePassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-password",
            abstract: "Change the service account's password in the directory and rewrap the server key: nothing is lost.",
            discussion: """
                Verifies the current password by logging on, changes it in the directory (AD: unicodePwd; OpenLDAP: \
                Password Modify), rewraps the server encryption key under the new password and stores it. Refused while \
                the service runs (stop it with `idsync service stop` first); the service does not start while a change \
                is in progress. Safe to interrupt at any point: the service then starts with the old or the new password.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Read the new password from this file instead of standard input.") var newPasswordFile: String?

        func run() async throws {
            let config = try global.loadConfig()
            let context = try ServiceContext(config)
            let newPassword = try SecretInput.read("new password", file: newPasswordFile, confirm: true)
            do {
                // Held until the change has finished: the service refuses to start meanwhile.
                let lock = try PasswordChangeLock.acquire(config)
                defer { withExtendedLifetime(lock) {} }
                try await PasswordChange(access: try context.keyAccess()).run(newPassword: newPassword)
            } catch let error as ServiceError {
                throw CLIError("\(error)")
            }
            print("\(try context.account().account): password changed; the server encryption key is wrapped under the new one")
        }
    }
}
