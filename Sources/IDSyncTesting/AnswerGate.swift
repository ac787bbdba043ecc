import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy in front of a real server (the DC's LDAPS port, say) that asks the test, before each piece
/// of the server's answer, whether the client gets it. The test can hold an answer while it does something
/// else, or lose it: the connection is dropped after the request reached the server, the way a network
/// failure loses the answer to a write that happened. The proxy sees only bytes (TLS passes through
/// untouched), so the test decides by the server's state — "the directory has the new password now" —
/// not by what the bytes say.
public final class AnswerGate: Sendable {
    public enum Verdict: Sendable { case forward, lose }
    /// Asked before each chunk the server sends; while it has not answered, the chunk waits.
    public typealias Decision = @Sendable () async -> Verdict

    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let accepting: Task<Void, Never>
    /// `ldaps://host:port` style: the same host as the upstream (its certificate stays valid), another port.
    public let host: String
    public let port: Int

    /// Listens on `host` (a loopback address the upstream's certificate names) and relays to `upstreamPort`.
    public init(host: String, upstreamPort: Int, decide: @escaping Decision) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        self.server = server
        self.host = host
        port = server.channel.localAddress?.port ?? 0
        accepting = Task {
            do {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await client in connections {
                            group.addTask { await Self.relay(client, host: host, port: upstreamPort, decide: decide) }
                        }
                    }
                }
            } catch {
                // The listener was closed by `stop`: nothing more to accept.
            }
        }
    }

    /// Stops listening and ends the connections still open (their relays are cancelled), then returns
    /// once every relay has ended. A decision still pending is the test's to end first.
    public func stop() async {
        try? await server.channel.close()
        accepting.cancel()
        await accepting.value
    }

    private struct AnswerLost: Error {}

    private static func relay(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, host: String, port: Int,
                              decide: @escaping Decision) async {
        let upstream: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            try? await client.channel.close()
            return
        }
        // Either direction ending (or an answer lost) ends the connection both ways; closing the channels
        // finishes the other direction's stream, so the group always returns.
        try? await client.executeThenClose { fromClient, toClient in
            try await upstream.executeThenClose { fromServer, toServer in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do { for try await chunk in fromClient { try await toServer.write(chunk) } } catch {}
                    }
                    group.addTask {
                        do {
                            for try await chunk in fromServer {
                                guard await decide() == .forward else { throw AnswerLost() }
                                try await toClient.write(chunk)
                            }
                        } catch {}
                    }
                    await group.next()
                    client.channel.close(promise: nil)
                    upstream.channel.close(promise: nil)
                    await group.waitForAll()
                }
            }
        }
    }
}

/// A decision for an ``AnswerGate`` that forwards everything except the pieces it was told to lose: the
/// next `count` the server sends, each dropping the connection that carried it.
public final class AnswerCutter: Sendable {
    private let state: Mutex<(toCut: Int, cut: Int)>

    public init(cutting count: Int = 0) { state = Mutex((count, 0)) }

    /// Loses the next `count` pieces of the server's answers.
    public func cutNext(_ count: Int = 1) { state.withLock { $0.toCut += count } }

    /// How many pieces were lost so far.
    public var cut: Int { state.withLock { $0.cut } }

    public func decide() -> AnswerGate.Verdict {
        state.withLock { state in
            guard state.toCut > 0 else { return .forward }
            state.toCut -= 1
            state.cut += 1
            return .lose
        }
    }
}
