import LDAP
@testable import SyncConfiguration
import SyncEngine
import Testing

@Suite("LDAP connection options from a connector's settings")
struct ConnectionOptionsTests {
    @Test("the URL, TLS settings and both timeouts reach the connection as configured")
    func optionsFollowTheConfiguration() {
        var config = LDAPConnectorConfig(flavor: .activeDirectory, url: "ldap://dc1.contoso.test", startTLS: true,
                                         tlsCAFile: "/etc/idsync/ca.pem", tlsVerify: true, bindDN: "svc@contoso.test",
                                         passwordFile: nil, baseDN: "DC=contoso,DC=test", containers: [], pageSize: 500,
                                         timeout: .seconds(90))
        config.connectTimeout = .seconds(40)
        let options = config.connectionOptions
        #expect(options.url == "ldap://dc1.contoso.test" && options.startTLS && options.caFile == "/etc/idsync/ca.pem")
        #expect(options.verifyCertificate)
        #expect(options.networkTimeout == .seconds(40) && options.operationTimeout == .seconds(90))
    }
}
