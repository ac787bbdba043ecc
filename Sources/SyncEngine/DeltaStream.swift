import Foundation

/// One change a delta import found.
public enum DeltaChange: Sendable {
    /// The object as it is now (re-read whole, so a partial change never leaves a partial object).
    case upsert(ImportItem)
    /// Deleted, or moved out of scope.
    case delete(anchor: String)
    /// Still there, unchanged: named by a presence listing (a sweep, syncrepl's present phase).
    case present(anchor: String)
}

/// A page of a delta import. Its changes and its watermark are stored in one transaction, so a crash
/// re-reads them and never skips them.
public struct DeltaPage: Sendable {
    public var changes: [DeltaChange]
    /// Stored with this page's changes; nil: this page moves no watermark.
    public var watermark: Data?
    /// On the last page: every object in scope was named (upsert or present); any other is deleted.
    public var presenceComplete: Bool

    public init(changes: [DeltaChange], watermark: Data? = nil, presenceComplete: Bool = false) {
        self.changes = changes; self.watermark = watermark; self.presenceComplete = presenceComplete
    }
}

/// A pull-based stream of delta pages (see `ImportStream`).
public struct DeltaStream: AsyncSequence, Sendable {
    public typealias Element = DeltaPage
    private let makeSource: @Sendable () -> any DeltaSource

    public init(_ makeSource: @escaping @Sendable () -> any DeltaSource) { self.makeSource = makeSource }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any DeltaSource
        public mutating func next() async throws -> DeltaPage? { try await source.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: makeSource()) }
}

public protocol DeltaSource: AnyObject {
    func next() async throws -> DeltaPage?
}

/// The source cannot continue from the stored watermark (a cookie the server no longer accepts, a
/// restored domain controller): the delta import falls back to a full import.
public struct WatermarkRejected: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "the stored watermark was rejected: \(reason)" }
}
