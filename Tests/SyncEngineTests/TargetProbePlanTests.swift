import SCIM
@testable import SyncEngine
import Testing

@Suite("connector probe: the export's choices follow from what the target says")
struct TargetProbePlanTests {
    func profile(_ features: SCIMFeatures, patch: Bool?, catalog: SCIMSchemaCatalog?) -> SCIMServiceProfile {
        SCIMServiceProfile(features: features, capabilities: .init(patch: patch, etag: nil, sort: nil, changePassword: nil,
                                                                   authenticationSchemes: []),
                           catalog: catalog, gaps: [])
    }

    @Test("a target that says nothing: single requests, one listing per run, PATCH unannounced, RFC 7643's shapes")
    func saysNothing() {
        let plan = TargetProbe.plan(profile(.minimal, patch: nil, catalog: nil), concurrency: 4)
        #expect(plan[0] == "one request per object, up to 4 at once (no usable Bulk)")
        #expect(plan[1].contains("one listing of the target per run"))
        #expect(plan[2].contains("does not say whether it supports it"))
        #expect(plan[4].contains("RFC 7643's core schemas"))
    }

    @Test("Bulk and filter announced; PATCH refused is said to fail; the target's own schemas")
    func saysEverything() {
        let features = SCIMFeatures(bulkMaxOperations: 50, bulkMaxPayload: 1_000_000, filterSupported: true, filterMaxResults: 100)
        let plan = TargetProbe.plan(profile(features, patch: false, catalog: SCIMSchemaCatalog(schemas: [], resourceTypes: [])),
                                    concurrency: 4)
        #expect(plan[0] == "changes go in Bulk requests of up to 50 operations")
        #expect(plan[1].contains("by filter") && plan[1].contains("\(Export.listingThreshold) creates"))
        #expect(plan[2].contains("says it does not support: they will fail"))
        #expect(plan[4].contains("the target's own schemas"))
    }
}
