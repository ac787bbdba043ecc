/// A pull-based stream of import items: the next item is produced only when the consumer asks, so an
/// import of 100k objects holds one LDAP page at a time, never the whole directory.
public struct ImportStream: AsyncSequence, Sendable {
    public typealias Element = ImportItem
    private let makeSource: @Sendable () -> any ImportSource

    public init(_ makeSource: @escaping @Sendable () -> any ImportSource) { self.makeSource = makeSource }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any ImportSource
        public mutating func next() async throws -> ImportItem? { try await source.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: makeSource()) }
}

/// The producer behind an `ImportStream`. Reference type: it carries the position of a paged search.
public protocol ImportSource: AnyObject {
    func next() async throws -> ImportItem?
}
