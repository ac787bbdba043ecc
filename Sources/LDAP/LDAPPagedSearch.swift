/// The entries of a simple-paged-results search (RFC 2696), fetched a page at a time as they are consumed.
///
/// Each iteration starts the search afresh. A page is requested only when the consumer has taken every entry
/// of the previous one, so at most one page is held. A consumer that stops early leaves the server's paging
/// state for that search to expire; it is released at the latest when the connection closes.
public struct LDAPPagedSearch: AsyncSequence, Sendable {
    public typealias Element = LDAPEntry
    public typealias Failure = any Error

    let connection: LDAPConnection
    let base: String
    let scope: LDAPScope
    let filter: String
    let attributes: [String]
    let pageSize: Int
    let controls: [LDAPControl]

    public func makeAsyncIterator() -> Iterator {
        Iterator(search: self)
    }

    public struct Iterator: AsyncIteratorProtocol, Sendable {
        private let search: LDAPPagedSearch
        private var page: [LDAPEntry] = []
        private var positionInPage = 0
        /// The server's cookie for the next page; empty once it has said there is none.
        private var cookie: [UInt8] = []
        private var isLastPage = false
        /// How many requests were sent, for the tests that check pages are fetched lazily.
        private(set) var pagesFetched = 0

        init(search: LDAPPagedSearch) {
            self.search = search
        }

        public mutating func next() async throws -> LDAPEntry? {
            // A loop, as a page may be empty: servers may end with an empty page carrying the final cookie.
            while positionInPage == page.count {
                if isLastPage { return nil }
                try await fetchNextPage()
            }
            defer { positionInPage += 1 }
            return page[positionInPage]
        }

        private mutating func fetchNextPage() async throws {
            // A size of 0 would ask the server to end the search (RFC 2696 §3), so at least 1.
            let pageSize = Int32(clamping: Swift.max(search.pageSize, 1))
            let pageControl = PagedResultsControl.request(pageSize: pageSize, cookie: cookie)
            let result = try await search.connection.search(
                base: search.base, scope: search.scope, filter: search.filter, attributes: search.attributes,
                controls: search.controls + [pageControl])
            pagesFetched += 1
            page = result.entries
            positionInPage = 0
            // No response control means the server sent everything at once; an empty cookie, that it is done.
            let response = result.controls.first(oid: PagedResultsControl.oid).flatMap(PagedResultsControl.parseResponse)
            cookie = response?.cookie ?? []
            isLastPage = cookie.isEmpty
        }
    }
}
