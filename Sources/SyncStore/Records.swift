import Foundation

/// The object classes idsync synchronizes.
public enum ObjectType: String, Sendable, Codable, CaseIterable {
    case user, group
}

/// A change an import found and the sync has not yet processed (the connector space's "pending import").
public enum PendingImport: String, Sendable, Codable {
    case add, update, delete
}

/// What an export must do to the connected system (the connector space's "pending export").
public enum ExportOperation: String, Sendable, Codable, CaseIterable {
    case add, update, delete
}

/// A reference from one object to another: a metaverse object, or an object of a target that idsync holds
/// no metaverse object for.
///
/// References live in their own maps (`ReferenceMap`) beside the attribute maps of metaverse objects,
/// pending exports and target connector-space objects, not inside `AttributeMap`: an attribute map is what
/// every connector reads and writes, the expressions compute and the digest covers, and its values are text
/// that came from a directory. Had references been spelled as text in it ("mv:<id>"), a directory value that
/// happened to be spelled the same way would have become a reference. Here what is a reference is said by
/// which map holds it, never by how a value is spelled, and the attribute maps (their JSON, their parser and
/// their digest) stay as they were. An attribute is in one of the two maps, never in both.
public enum Reference: Hashable, Sendable {
    /// A metaverse object, by its id (ids are never handed out twice, see the v6 migration).
    case metaverse(Int64)
    /// An object of the target, by its id there, that no metaverse object stands for.
    case target(String)

    /// The metaverse id, for a metaverse reference.
    public var metaverseID: Int64? { if case .metaverse(let id) = self { id } else { nil } }
}

/// Attribute name → the references it holds, in order.
public typealias ReferenceMap = [String: [Reference]]

extension Dictionary where Key == String, Value == [Reference] {
    /// The references as an admin reads them, for listings: "metaverse object 12", "target object 4f2a".
    public var described: AttributeMap {
        mapValues { references in
            references.map { reference in
                switch reference {
                case .metaverse(let id): "metaverse object \(id)"
                case .target(let id): "target object \(id)"
                }
            }
        }
    }
}

/// One object in one connector's space: the last known state of it in that connected system.
public struct CSObject: Sendable, Equatable {
    public var id: Int64?
    public var connector: String
    /// The connected system's immutable identifier: objectGUID for AD, the resource id for SCIM
    /// (nil until the export that creates it has been answered).
    public var anchor: String?
    /// The distinguished name in a directory; for cloud objects, the name shown (userName / displayName).
    public var dn: String
    /// `dn` normalized for lookups (case-folded).
    public var dnKey: String
    public var objectType: ObjectType
    /// Source connectors: attributes as imported. Target connector: attributes as last exported.
    public private(set) var attributes: AttributeMap
    /// Target connectors: the references as last exported (metaverse references, as the pending export had
    /// them). Source objects keep their references as DNs in `attributes` (and in `CSReference`s). Not part
    /// of `digest`, which tells an import whether a source object changed.
    public var references: ReferenceMap {
        get { storedReferences }
        set { storedReferences = newValue.filter { !$0.value.isEmpty } }
    }
    private var storedReferences: ReferenceMap = [:]
    public private(set) var digest: String
    /// `attributes` as canonical JSON, computed once (the digest and the stored column both need it).
    public private(set) var attributesJSON: String
    public var mvID: Int64?
    public var pendingImport: PendingImport?
    /// The import run that last saw the object, so a full import can tell what disappeared.
    public var seenRun: Int64?
    /// Target connectors with `deprovision: disable`: when the object was disabled there because it left the
    /// target's scope or was deleted in the source (nil while it is provisioned). It is deleted once
    /// `deprovision_delete_after` has passed.
    public var deprovisionedAt: Date?
    /// Target connectors: the metaverse object this one was joined to before it was deprovisioned. Groups of the
    /// target still list it by that reference until their update is exported, which must remove it by its id.
    public var formerMVID: Int64?

    public init(id: Int64? = nil, connector: String, anchor: String?, dn: String, dnKey: String, objectType: ObjectType,
                attributes: AttributeMap, references: ReferenceMap = [:], mvID: Int64? = nil, pendingImport: PendingImport? = nil,
                seenRun: Int64? = nil) {
        self.id = id; self.connector = connector; self.anchor = anchor; self.dn = dn; self.dnKey = dnKey
        self.storedReferences = references.filter { !$0.value.isEmpty }
        self.objectType = objectType; self.attributes = attributes.normalized
        self.attributesJSON = attributes.canonicalJSON()
        self.digest = attributes.digest(ofCanonicalJSON: attributesJSON)
        self.mvID = mvID; self.pendingImport = pendingImport; self.seenRun = seenRun
    }

    /// An object read back from the store, with the digest stored beside it (not computed again).
    public init(stored id: Int64, connector: String, anchor: String?, dn: String, dnKey: String, objectType: ObjectType,
                attributesJSON: String, digest: String, referencesJSON: String = "{}", mvID: Int64?, pendingImport: PendingImport?,
                seenRun: Int64?, deprovisionedAt: Date? = nil, formerMVID: Int64? = nil) throws {
        self.id = id; self.connector = connector; self.anchor = anchor; self.dn = dn; self.dnKey = dnKey
        self.storedReferences = try ReferenceMap.fromJSON(referencesJSON)
        self.objectType = objectType; self.attributes = try AttributeMap.fromJSON(attributesJSON)
        self.attributesJSON = attributesJSON; self.digest = digest
        self.mvID = mvID; self.pendingImport = pendingImport; self.seenRun = seenRun; self.deprovisionedAt = deprovisionedAt
        self.formerMVID = formerMVID
    }

    public mutating func setAttributes(_ attributes: AttributeMap) {
        self.attributes = attributes.normalized
        attributesJSON = attributes.canonicalJSON()
        digest = attributes.digest(ofCanonicalJSON: attributesJSON)
    }
}

/// A reference one connector-space object holds to another, by the other's DN (manager, member).
/// Kept apart so that when an object appears or disappears, the objects pointing at it are found.
public struct CSReference: Sendable, Equatable {
    public var attribute: String
    public var dnKey: String
    public init(attribute: String, dnKey: String) { self.attribute = attribute; self.dnKey = dnKey }
}

/// One identity in the metaverse, joined to at most one object per connector.
public struct MVObject: Sendable, Equatable {
    public var id: Int64?
    public var objectType: ObjectType
    public var attributes: AttributeMap
    /// What the inbound `ref()` flows gave it: manager, member.
    public var references: ReferenceMap

    public init(id: Int64? = nil, objectType: ObjectType, attributes: AttributeMap, references: ReferenceMap = [:]) {
        self.id = id; self.objectType = objectType; self.attributes = attributes.normalized
        self.references = references.filter { !$0.value.isEmpty }
    }
}

/// A change queued for the target, recorded before it is sent so that a crash never loses it.
public struct PendingExport: Sendable, Equatable {
    public var csID: Int64
    public var operation: ExportOperation
    /// The full desired state, with `references`; the export sends the difference between this and what the
    /// connector-space object says was last exported.
    public var attributes: AttributeMap
    /// The desired references (to metaverse objects, which the export turns into the target's ids).
    public var references: ReferenceMap
    public var attempts: Int
    public var lastError: String?

    public init(csID: Int64, operation: ExportOperation, attributes: AttributeMap, references: ReferenceMap = [:],
                attempts: Int = 0, lastError: String? = nil) {
        self.csID = csID; self.operation = operation; self.attributes = attributes.normalized
        self.references = references.filter { !$0.value.isEmpty }
        self.attempts = attempts; self.lastError = lastError
    }
}

/// Run profiles, as Entra Connect names them.
public enum RunProfile: String, Sendable, Codable, CaseIterable {
    case fullImport = "full-import"
    case deltaImport = "delta-import"
    case fullSync = "full-sync"
    case deltaSync = "delta-sync"
    case export
}

public enum RunStatus: String, Sendable, Codable {
    case inProgress = "in-progress"
    case success
    /// Finished, but some objects could not be processed (each has a run error).
    case completedWithErrors = "completed-errors"
    case failed
    /// Export not started: more deletions were pending than the deletion threshold allows (event 116).
    case stoppedDeletionThreshold = "stopped-deletion-threshold-exceeded"
}

/// One run of one profile on one connector: the run history.
public struct RunRecord: Sendable, Equatable {
    public var id: Int64?
    public var connector: String
    public var profile: RunProfile
    public var started: Date
    public var ended: Date?
    public var status: RunStatus
    public var adds: Int = 0
    public var updates: Int = 0
    public var deletes: Int = 0
    public var errors: Int = 0
    /// Why a run failed; never holds a secret.
    public var message: String?

    public init(id: Int64? = nil, connector: String, profile: RunProfile, started: Date = Date(), status: RunStatus = .inProgress) {
        self.id = id; self.connector = connector; self.profile = profile; self.started = started; self.status = status
    }
}

/// An object a run could not process, with the reason.
public struct RunError: Sendable, Equatable {
    public var runID: Int64
    public var connector: String
    /// The object's DN, or its anchor when it has no DN.
    public var object: String
    public var attribute: String?
    public var message: String

    public init(runID: Int64, connector: String, object: String, attribute: String? = nil, message: String) {
        self.runID = runID; self.connector = connector; self.object = object; self.attribute = attribute; self.message = message
    }
}
