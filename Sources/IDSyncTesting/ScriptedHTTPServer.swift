import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP server on 127.0.0.1 that answers from a script and records what it was asked: for unit tests
/// of edge cases a real server will not produce on demand (429 with Retry-After, an HTML error page).
public final class ScriptedHTTPServer: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        public init(status: Int, headers: [(String, String)] = [("Content-Type", "application/scim+json")], body: String = "") {
            self.status = status; self.headers = headers; self.body = body
        }
    }

    public struct Request: Sendable, Equatable {
        public let method: String
        public let uri: String
        public let authorization: String?
        public let body: String
    }

    /// The script and the requests seen, shared by the connections' handlers.
    private final class Script: Sendable {
        let state: Mutex<(responses: [Response], requests: [Request])>
        init(_ responses: [Response]) { state = Mutex((responses, [])) }

        func answer(_ request: Request) -> Response {
            state.withLock { state in
                state.requests.append(request)
                return state.responses.isEmpty ? Response(status: 500, body: "script exhausted") : state.responses.removeFirst()
            }
        }
    }

    private let channel: any Channel
    private let script: Script
    /// http://127.0.0.1:PORT
    public let url: String
    public let port: Int

    /// Answers requests with `script` in order; once it is used up, with 500. `allInterfaces`: listens on
    /// 0.0.0.0 too, so that it can be reached by this machine's name (an address idsync does not count as
    /// loopback) — to prove nothing is sent to a plain-http endpoint elsewhere.
    public init(script responses: [Response], allInterfaces: Bool = false) async throws {
        let script = Script(responses)
        self.script = script
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(script: script))
                }
            }
            .bind(host: allInterfaces ? "0.0.0.0" : "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
        url = "http://127.0.0.1:\(port)"
    }

    /// The server by this machine's host name: the same listener, but not a loopback address by its name.
    public var urlByHostName: String { "http://\(ProcessInfo.processInfo.hostName):\(port)" }

    public var requests: [Request] { script.state.withLock { $0.requests } }

    /// Adds answers to the script, for one that must name the server's own URL.
    public func append(_ responses: [Response]) { script.state.withLock { $0.responses += responses } }

    public func stop() async throws { try await channel.close() }

    /// Whether its listening socket is still open (false once ``stop()`` has closed it).
    public var isListening: Bool { channel.isActive }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let script: Script
        var head: HTTPRequestHead?
        var body = ""

        init(script: Script) { self.script = script }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(var buffer):
                body += buffer.readString(length: buffer.readableBytes) ?? ""
            case .end:
                guard let head else { return }
                let response = script.answer(Request(method: head.method.rawValue, uri: head.uri,
                                                     authorization: head.headers.first(name: "authorization"), body: body))
                var headers = HTTPHeaders(response.headers)
                headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version,
                                                                    status: HTTPResponseStatus(statusCode: response.status),
                                                                    headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
