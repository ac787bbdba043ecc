import ArgumentParser
import SCIM
import SyncEngine
import SyncService

extension ConnectorCommand {
    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a SCIM target what it supports, and show how idsync will talk to it.",
            discussion: """
                Reads the target's /ServiceProviderConfig, /ResourceTypes and /Schemas with the connector's \
                credential, prints what it says (and which of them it does not serve or serves unreadably: idsync \
                then assumes the least), and the choices the export makes because of it. With --write-test, also \
                creates, reads, changes and deletes a user and a group named idsync-probe-… and reports each \
                answer; the exit status is 2 when one of those requests failed. The store is not opened.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The SCIM connector's name, as in the configuration.") var name: String
        @Flag(help: "Also create, read, change and delete a throwaway user and group (idsync-probe-…), reporting each answer.")
        var writeTest = false

        func run() async throws {
            let config = try global.loadConfig()
            guard let connector = config.connector(named: name) else {
                throw CLIError("no connector named \"\(name)\" in \(config.file); known: "
                               + config.connectors.map(\.name).joined(separator: ", "))
            }
            guard case .scim(let scim) = connector.kind else {
                throw CLIError("\(name) is an LDAP connector; probe asks SCIM targets")
            }
            let report: TargetProbe.Report
            do {
                let target = try await ConnectorSet.makeTarget(name: name, config: scim,
                                                               secrets: LazyVaultSecrets(config: config, logger: cliLogger).secrets,
                                                               logger: cliLogger)
                do {
                    try await target.open()
                    report = try await TargetProbe(target).run(writeTest: writeTest)
                } catch {
                    await target.close()
                    throw error
                }
                await target.close()
            } catch let error as ConnectorError {
                throw CLIError("\(error)")
            } catch let error as SCIMError {
                throw CLIError("\(name): \(error)")
            }
            print(ProbeReport(name: name, report).render())
            if report.steps.contains(where: { !$0.succeeded }) { throw ExitCode(2) }
        }
    }
}

/// The probe's answer as text.
struct ProbeReport {
    let name: String
    let report: TargetProbe.Report

    init(name: String, _ report: TargetProbe.Report) { self.name = name; self.report = report }

    func render() -> String {
        let profile = report.profile, features = profile.features, capabilities = profile.capabilities
        func said(_ value: Bool?) -> String { value.map { $0 ? "yes" : "no" } ?? "not said" }
        var lines = ["\(name): \(report.url)", "service provider config:"]
        lines.append("  patch:           \(said(capabilities.patch))")
        lines.append("  bulk:            " + (features.bulkMaxOperations > 0
            ? "yes, up to \(features.bulkMaxOperations) operations and \(features.bulkMaxPayload) bytes" : "no"))
        lines.append("  filter:          " + (features.filterSupported ? "yes, up to \(features.filterMaxResults) results" : "no"))
        lines.append("  etag:            \(said(capabilities.etag))")
        lines.append("  sort:            \(said(capabilities.sort))")
        lines.append("  change password: \(said(capabilities.changePassword))")
        lines.append("  authentication:  " + (capabilities.authenticationSchemes.isEmpty ? "not said" : capabilities.authenticationSchemes.joined(separator: ", ")))
        if let catalog = profile.catalog {
            let types = catalog.resourceTypes.map { type in
                let extensions = type.schemaExtensions.map { "\($0.schema)\($0.required ? " (required)" : "")" }
                return "\(type.name) (\(type.endpoint)" + (extensions.isEmpty ? ")" : "; extensions: \(extensions.joined(separator: ", ")))")
            }
            lines.append("resource types:    " + (types.isEmpty ? "not served" : types.joined(separator: ", ")))
            lines.append("schemas:           \(catalog.schemas.map(\.id).joined(separator: ", "))")
        }
        for gap in profile.gaps { lines.append("not described:     \(gap)") }
        lines.append("how idsync talks to it:")
        lines += report.plan.map { "  - \($0)" }
        if !report.steps.isEmpty {
            lines.append("write test:")
            lines += report.steps.map { "  \($0.succeeded ? "ok  " : "FAIL") \($0.request): \($0.outcome)" }
        }
        return lines.joined(separator: "\n")
    }
}
