import Foundation
import LDAP

/// A real Samba Active Directory domain controller on a loopback address (LDAP 389, LDAPS 636),
/// provisioned by `scripts/samba-dc` into a temporary directory. One DC serves a whole test run: tests
/// isolate themselves in organizational units of their own (see `makeOU`).
public final class SambaDC: Sendable {
    public let directory: String
    public let ldapsURL: String
    public let ldapURL: String
    public let caFile: String
    public let baseDN: String
    public let realm: String
    /// dc1.<realm>, the name the harness's certificate carries beside the IP address.
    public let hostname: String
    public let adminUPN: String
    public let adminPassword: String
    /// The DC's database, for `samba-tool ... -H` administration the way an admin on the DC would do it.
    public let samLDB: String
    public let pid: Int32

    /// How long the harness, and the idsync installations it writes, wait to connect to the DC. One DC serves
    /// every test of a run at once, on a machine that may be busy with other work, so a TLS handshake may wait
    /// well past idsync's default of 10 s for its turn.
    public static let connectTimeout: Duration = .seconds(60)

    /// Options for the harness's own connections: LDAPS (or StartTLS on `url`) with the DC's CA, `connectTimeout`.
    public func connectionOptions(url: String? = nil, startTLS: Bool = false, caFile: String? = nil,
                                  operationTimeout: Duration = .seconds(120)) -> LDAPConnectionOptions {
        LDAPConnectionOptions(url: url ?? ldapsURL, startTLS: startTLS, caFile: caFile ?? self.caFile,
                              networkTimeout: Self.connectTimeout, operationTimeout: operationTimeout)
    }

    /// The domain controller shared by every test in this process; started on first use.
    public static func shared() async throws -> SambaDC { try await sharedStart.value }

    private static let sharedStart = Task<SambaDC, Error> {
        let directory = try TemporaryDirectory(prefix: "samba").path
        ServerRegistry.removeAtExit(directory)
        return try await SambaDC.start(in: directory)
    }

    /// Provisions (once per directory) and starts a DC. Fails loudly when Samba is not installed.
    public static func start(in directory: String) async throws -> SambaDC {
        let result = try await runChecked([Repository.script("samba-dc"), "start", "--dir", directory, "--ip", "auto",
                                           "--parent-pid", testProcessID])
        let values = parseAssignments(result.stdout)
        func value(_ key: String) throws -> String {
            guard let v = values[key] else { throw ProcessFailure(command: ["samba-dc", "start"], result: result) }
            return v
        }
        let dc = SambaDC(directory: directory, ldapsURL: try value("LDAPS_URL"), ldapURL: try value("LDAP_URL"),
                         caFile: try value("CA_FILE"), baseDN: try value("BASE_DN"), realm: try value("REALM"),
                         hostname: try value("HOSTNAME"), adminUPN: try value("ADMIN_UPN"),
                         adminPassword: try String(contentsOfFile: value("ADMIN_PASSWORD_FILE"), encoding: .utf8),
                         samLDB: try value("SAM_LDB"), pid: Int32(try value("PID")) ?? 0)
        ServerRegistry.started(pid: dc.pid)
        return dc
    }

    private init(directory: String, ldapsURL: String, ldapURL: String, caFile: String, baseDN: String,
                 realm: String, hostname: String, adminUPN: String, adminPassword: String, samLDB: String, pid: Int32) {
        self.directory = directory; self.ldapsURL = ldapsURL; self.ldapURL = ldapURL; self.caFile = caFile
        self.baseDN = baseDN; self.realm = realm; self.hostname = hostname; self.adminUPN = adminUPN
        self.adminPassword = adminPassword; self.samLDB = samLDB; self.pid = pid
    }

    public func stop() async throws {
        try await Self.stop(in: directory)
        ServerRegistry.stopped(pid: pid)
    }

    /// Stops the DC that runs from `directory`, if one does.
    public static func stop(in directory: String) async throws {
        try await runChecked([Repository.script("samba-dc"), "stop", "--dir", directory])
    }

    /// Runs `samba-tool ARGS -H <sam.ldb>` on the DC's database, e.g. `["user", "setpassword", "bob", ...]`.
    @discardableResult
    public func sambaTool(_ arguments: [String]) async throws -> ProcessResult {
        try await runChecked(["samba-tool"] + arguments + ["-H", samLDB])
    }

    /// The realm in lower case, the UPN suffix of the domain's users.
    public var upnSuffix: String { realm.lowercased() }
}
