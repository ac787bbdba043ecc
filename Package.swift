// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "idsync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "idsync", targets: ["idsync"]),
        .executable(name: "idsync-bench", targets: ["idsync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // The only C interop: OpenLDAP's libldap (Debian's libldap-dev).
        .systemLibrary(name: "CLDAP", path: "Sources/CLDAP", pkgConfig: "ldap",
                       providers: [.apt(["libldap-dev"])]),
        // Starting child processes (posix_spawn with clean signal state), for the service and the tests.
        .target(name: "ProcessSpawn"),
        // The crash-safety tests' failpoints (IDSYNC_FAILPOINT): named steps and run progress.
        .target(name: "Failpoints"),
        // Async Swift client over libldap: bind, paged search, controls, modify, password change.
        .target(name: "LDAP", dependencies: ["CLDAP"]),
        // SCIM 2.0 client (RFC 7643/7644) over AsyncHTTPClient.
        .target(name: "SCIM", dependencies: [
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // idsync.yaml: parsing, validation, documented keys.
        .target(name: "SyncConfiguration", dependencies: [
            .product(name: "Yams", package: "Yams"),
        ]),
        // The server encryption key: key set, wrappers, sealed credential records, key management.
        .target(name: "Vault", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ]),
        // Persistence of connector spaces, metaverse, pending exports, run history, vault and events.
        .target(name: "SyncStore", dependencies: [
            "Vault",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Connectors, rules and run profiles.
        .target(name: "SyncEngine", dependencies: [
            "LDAP", "SCIM", "SyncStore", "SyncConfiguration", "Failpoints",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The daemon: logon as the service account, key unlock, event log, schedule, signals, status.
        .target(name: "SyncService", dependencies: [
            "SyncEngine", "SyncStore", "SyncConfiguration", "Vault", "LDAP", "SCIM", "ProcessSpawn", "Failpoints",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The command-line tool.
        .executableTarget(name: "idsync", dependencies: [
            "SyncEngine", "SyncStore", "SyncConfiguration", "SyncService", "Vault",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The benchmark's helpers (`make bench`): test data, a bare SCIM loader, a latency probe.
        .executableTarget(name: "idsync-bench", dependencies: [
            "SCIM", "LDAP", "Vault", "SyncStore",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Fixtures that start real servers (Samba AD DC, scim2-server) on loopback for the tests.
        .target(name: "IDSyncTesting", dependencies: [
            "LDAP", "SCIM", "ProcessSpawn",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "LDAPTests", dependencies: ["LDAP", "IDSyncTesting", "ProcessSpawn"]),
        .testTarget(name: "SCIMTests", dependencies: [
            "SCIM", "IDSyncTesting", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SyncConfigurationTests", dependencies: ["SyncConfiguration"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SyncEngineTests", dependencies: [
            "SyncEngine", "SyncStore", "SyncConfiguration", "LDAP", "SCIM", "IDSyncTesting", "Failpoints",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "FuzzTests", dependencies: [
            "SyncConfiguration", "LDAP", "SCIM", "SyncEngine", "IDSyncTesting", .product(name: "Logging", package: "swift-log"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "SyncStoreTests", dependencies: ["SyncStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "VaultTests", dependencies: [
            "Vault", "SyncStore", .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "idsync", "IDSyncTesting", "LDAP", "SCIM", "Vault", "SyncStore", "SyncEngine", "ProcessSpawn", "Failpoints",
        ], resources: [.copy("Fixtures")]),
    ]
)
