import NIOCore
import NIOPosix
import Synchronization

/// A TCP listener on 127.0.0.1 that answers nothing and records what reaches it: which connections were
/// made and the bytes they sent. It stands where a directory would be, to prove no credential is sent
/// over a connection idsync must refuse (a password in a simple bind shows up verbatim in its bytes).
public final class RecordingTCPListener: Sendable {
    private final class Record: Sendable {
        let state = Mutex<(connections: Int, bytes: [UInt8])>((0, []))
    }

    private let channel: any Channel
    private let record = Record()
    public let port: Int

    public init() async throws {
        let record = record
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                record.state.withLock { $0.connections += 1 }
                return channel.pipeline.addHandler(Handler(record: record))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// How many connections were accepted.
    public var connections: Int { record.state.withLock { $0.connections } }
    /// Everything received, on all connections.
    public var received: [UInt8] { record.state.withLock { $0.bytes } }

    /// Whether `text` arrived (a password, a token).
    public func receivedText(_ text: String) -> Bool {
        let needle = Array(text.utf8), haystack = received
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    public func stop() async throws { try await channel.close() }

    /// Records the bytes, then closes the connection: the client sees a server that went away.
    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let record: Record
        init(record: Record) { self.record = record }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            record.state.withLock { $0.bytes += buffer.readableBytesView }
            context.close(promise: nil)
        }
    }
}
