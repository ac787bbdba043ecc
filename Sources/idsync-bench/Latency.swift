import ArgumentParser
import Foundation
import LDAP
import Logging
import SCIM

/// Propagation latency: a change made in the directory, then the SCIM server polled until it shows it.
struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure how long directory changes take to reach the SCIM server (idsync must be running).")
    @Option(help: "The directory's URL.") var ldapURL: String
    @Option(help: "Bind DN.") var bindDN: String
    @Option(help: "Bind password file.") var passwordFile: String
    @Option(help: "The SCIM base URL.") var scimURL: String
    @Option(help: "The bearer token file.") var tokenFile: String
    @Option(help: "The naming context.") var base = "dc=example,dc=test"
    @Option(help: "How many changes.") var count = 50
    @Option(help: "How many users the directory holds.") var users: Int

    func run() async throws {
        let password = try String(contentsOfFile: passwordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let ldap = try await LDAPConnection.connect(LDAPConnectionOptions(url: ldapURL))
        try await ldap.simpleBind(dn: bindDN, password: password)
        let scim = SCIMClient(configuration: .init(baseURL: scimURL), credentials: BearerToken(token), logger: Logger(label: "bench"))
        var latencies: [Double] = []
        let clock = ContinuousClock()
        for change in 0..<count {
            let user = (change * 7919) % users
            guard let id = try await scim.find(.users, attribute: "userName", equals: "u\(user)@example.com").first?["id"]?.stringValue else {
                throw ValidationError("u\(user) is not in the SCIM server: run the initial sync first")
            }
            let marker = "latency-\(change)-\(UUID().uuidString.prefix(6))"
            let start = clock.now
            try await ldap.modify(dn: "uid=u\(user),ou=people,\(base)", [LDAPModification(.replace, "title", [LDAPValue(utf8: marker)])])
            while try await scim.get(.users, id: id)["title"]?.stringValue != marker {
                guard clock.now - start < .seconds(60) else { throw ValidationError("change \(change) did not arrive within 60 s") }
                try await Task.sleep(for: .milliseconds(20))
            }
            latencies.append((clock.now - start).seconds)
        }
        await ldap.close()
        await scim.shutdown()
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)] }
        print(String(format: "%.2f %.2f", percentile(0.5), percentile(0.99)))
    }
}
