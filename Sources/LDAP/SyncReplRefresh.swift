import Synchronization

/// The events of one syncrepl refresh (RFC 4533, refreshOnly), read from the server in batches as they are
/// consumed, so a directory of any size streams in bounded memory (save the set of named UUIDs that a
/// present phase needs).
///
/// Each iteration sends the search afresh. A consumer that stops early has the search abandoned.
public struct SyncReplRefresh: AsyncSequence, Sendable {
    public typealias Element = SyncReplEvent
    public typealias Failure = any Error

    /// Messages taken per trip to the connection's queue: large enough that the hop costs nothing next to
    /// the entries, small enough that a batch of large entries stays small.
    static let messagesPerBatch = 500

    let connection: LDAPConnection
    let base: String
    let scope: LDAPScope
    let filter: String
    let attributes: [String]
    /// `nil` for the whole content; never empty (an empty cookie is sent as none).
    let cookie: [UInt8]?
    let reloadHint: Bool

    public func makeAsyncIterator() -> Iterator {
        Iterator(refresh: self)
    }

    public struct Iterator: AsyncIteratorProtocol, Sendable {
        private let refresh: SyncReplRefresh
        private var request: InFlightRequest?
        private var decoder: SyncReplDecoder
        private var pending: [SyncReplEvent] = []
        private var positionInPending = 0

        init(refresh: SyncReplRefresh) {
            self.refresh = refresh
            decoder = SyncReplDecoder(requestHadCookie: refresh.cookie != nil)
        }

        public mutating func next() async throws -> SyncReplEvent? {
            // A loop, as a batch may hold no event (an intermediate response of another kind).
            while positionInPending == pending.count {
                if decoder.isDone { return nil }
                try await decodeNextBatch()
            }
            defer { positionInPending += 1 }
            return pending[positionInPending]
        }

        private mutating func decodeNextBatch() async throws {
            let handle = refresh.connection.handle
            let request = try await startedRequest()
            let messages: [SyncReplMessage]
            do {
                messages = try await handle.syncMessages(request.messageID, limit: SyncReplRefresh.messagesPerBatch)
            } catch {
                request.finish()  // syncMessages has abandoned it
                throw error
            }
            pending = []
            positionInPending = 0
            do {
                for message in messages {
                    pending += try decoder.decode(message)
                }
            } catch {
                // A refused refresh (e-syncRefreshRequired) is a complete response: nothing to abandon.
                if case .done = messages.last {} else { await handle.abandon(request.messageID) }
                request.finish()
                throw error
            }
            if decoder.isDone { request.finish() }
        }

        private mutating func startedRequest() async throws -> InFlightRequest {
            if let request { return request }
            let control = SyncReplEncoding.refreshOnlyRequest(cookie: refresh.cookie, reloadHint: refresh.reloadHint)
            let messageID = try await refresh.connection.handle.startSyncRefresh(
                base: refresh.base, scope: refresh.scope, filter: refresh.filter, attributes: refresh.attributes,
                control: control)
            let started = InFlightRequest(handle: refresh.connection.handle, messageID: messageID)
            request = started
            return started
        }
    }
}

/// A refresh whose response has not been read to the end. If the last copy of its iterator goes first, the
/// search is abandoned, so that the server stops sending and libldap stops queueing the rest.
final class InFlightRequest: Sendable {
    let handle: LDAPHandle
    let messageID: Int32
    private let isFinished = Mutex(false)

    init(handle: LDAPHandle, messageID: Int32) {
        self.handle = handle
        self.messageID = messageID
    }

    /// The response was read to the end, or the search was abandoned already.
    func finish() {
        isFinished.withLock { $0 = true }
    }

    deinit {
        guard !isFinished.withLock({ $0 }) else { return }
        Task { [handle, messageID] in await handle.abandon(messageID) }
    }
}
