import Foundation
import SyncStore

/// One object as a source directory holds it, converted to connector-space form.
public struct ImportedObject: Sendable {
    public var anchor: String
    public var dn: String
    public var dnKey: String
    public var objectType: ObjectType
    public var attributes: AttributeMap
    /// The DN-valued attributes (manager, member), by normalized DN, for reference resolution.
    public var references: [CSReference]
}

/// What an import yields: an object, or an entry that could not be converted (named, with the reason).
public enum ImportItem: Sendable {
    case object(ImportedObject)
    /// `anchor` is known when only some attribute was unreadable: the object still counts as seen,
    /// so a bad value never turns into a delete in the target.
    case rejected(dn: String, anchor: String?, error: ObjectError)
}

/// A directory idsync reads identities from.
public protocol SourceConnector: Sendable {
    var name: String { get }
    /// Connects and binds, so that an unreachable server or refused credentials stop the run before it
    /// touches the store.
    func open() async throws
    /// Every object in scope, streamed: the caller must not need the whole directory in memory.
    func fullImport() -> ImportStream
    /// The watermark a later delta import starts from, taken before a full import reads anything (changes
    /// made during the full import are then read again, never missed). Nil: the source has no delta import.
    func currentWatermark() async throws -> Data?
    /// The changes since `watermark`. Throws `WatermarkRejected` when the source cannot continue from it.
    func deltaImport(from watermark: Data) -> DeltaStream
    func close() async
    /// Whether the directory keeps DN-valued attributes pointing at an object across its renames and moves
    /// without changing (or reporting) the objects that hold them, as Active Directory's linked attributes do:
    /// the import then corrects those DNs in the connector space itself.
    var referencesFollowRenames: Bool { get }
}

extension SourceConnector {
    public var referencesFollowRenames: Bool { false }
}
