import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A reverse proxy on 127.0.0.1 in front of a real SCIM server that injects the faults a cloud service
/// shows: error statuses with and without Retry-After, connections dropped before and after the request
/// reached the server (the second loses the answer to a write that happened), latency spikes, and
/// malformed JSON. Seeded, so a failing run can be repeated; it counts what it injected.
public final class FaultProxy: Sendable {
    public enum Fault: String, Sendable, CaseIterable {
        case status503 = "503 + Retry-After", status429 = "429 + Retry-After", status500 = "500"
        case dropBefore = "dropped before forwarding", dropAfter = "dropped after forwarding (answer lost)"
        case latency = "2 s latency", malformed = "malformed JSON"
    }

    /// Probabilities of each fault per request; the rest are forwarded untouched.
    public struct Plan: Sendable {
        public var probabilities: [Fault: Double]
        public var latency: Duration = .seconds(2)
        public init(_ probabilities: [Fault: Double]) { self.probabilities = probabilities }

        /// 20 % errors (500/503/429), plus drops, spikes and malformed bodies.
        public static let issue7 = Plan([.status503: 0.07, .status429: 0.07, .status500: 0.06, .dropBefore: 0.03,
                                         .dropAfter: 0.03, .latency: 0.03, .malformed: 0.03])
    }

    /// A fixed answer to the requests whose body contains `marker` (one object's userName, say): a SCIM
    /// error body, an HTML error page, a 2xx that is not JSON. With `forward`, the request reaches the
    /// server first, so the write happens and only its answer is bad.
    public struct CannedResponse: Sendable {
        public var marker: String
        public var status: Int
        public var contentType: String?
        public var body: String
        public var forward: Bool
        public init(marker: String, status: Int, contentType: String?, body: String, forward: Bool) {
            self.marker = marker; self.status = status; self.contentType = contentType; self.body = body; self.forward = forward
        }
    }

    private final class State: Sendable {
        let canned = Mutex<[CannedResponse]>([])
        let cannedAnswers = Mutex(0)
        let random: Mutex<UInt64>
        let counts = Mutex<[Fault: Int]>([:])
        let forwarded = Mutex(0)
        let enabled = Mutex(true)
        init(seed: UInt64) { random = Mutex(seed) }

        func draw() -> Double {
            random.withLock { state in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
            }
        }
    }

    private let channel: any Channel
    private let state: State
    public let url: String

    public init(upstream: String, plan: Plan, seed: UInt64 = 7) async throws {
        let state = State(seed: seed)
        self.state = state
        let upstream = upstream.hasSuffix("/") ? String(upstream.dropLast()) : upstream
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ProxyHandler(upstream: upstream, plan: plan, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/"
    }

    /// What was injected so far, by kind, and how many requests went through untouched.
    public var injected: [Fault: Int] { state.counts.withLock { $0 } }
    public var forwarded: Int { state.forwarded.withLock { $0 } }

    /// Stops injecting (to check the final state through the proxy, say).
    public func disable() { state.enabled.withLock { $0 = false } }

    /// Answers the requests these responses match with them, while the proxy is enabled.
    public func answer(_ responses: [CannedResponse]) { state.canned.withLock { $0 = responses } }
    /// How many requests got a canned answer.
    public var cannedAnswers: Int { state.cannedAnswers.withLock { $0 } }

    public func stop() async throws { try await channel.close() }

    private final class ProxyHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let upstream: String
        let plan: Plan
        let state: State
        var head: HTTPRequestHead?
        var body = ByteBuffer()

        init(upstream: String, plan: Plan, state: State) { self.upstream = upstream; self.plan = plan; self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head; body.clear()
            case .body(var chunk): body.writeBuffer(&chunk)
            case .end:
                guard let head else { return }
                let canned = cannedResponse(for: body)
                let fault = canned == nil ? choose() : nil
                let request = (head, body)
                let loop = context.eventLoop
                let boxed = NIOLoopBound(context, eventLoop: loop)
                Task {
                    let reply = if let canned { await self.answer(request.0, request.1, with: canned) }
                                else { await self.handle(request.0, request.1, fault: fault) }
                    loop.execute { self.write(reply, to: boxed.value, version: request.0.version) }
                }
            }
        }

        private func choose() -> Fault? {
            guard state.enabled.withLock({ $0 }) else { return nil }
            var x = state.draw()
            for fault in Fault.allCases {
                let p = plan.probabilities[fault] ?? 0
                if x < p { state.counts.withLock { $0[fault, default: 0] += 1 }; return fault }
                x -= p
            }
            return nil
        }

        private enum Reply { case response(status: Int, headers: [(String, String)], body: ByteBuffer), drop }

        private func cannedResponse(for body: ByteBuffer) -> CannedResponse? {
            guard state.enabled.withLock({ $0 }) else { return nil }
            let text = String(buffer: body)
            return state.canned.withLock { $0.first { text.contains($0.marker) } }
        }

        private func answer(_ head: HTTPRequestHead, _ body: ByteBuffer, with canned: CannedResponse) async -> Reply {
            state.cannedAnswers.withLock { $0 += 1 }
            if canned.forward, case .drop = await forward(head, body) { return .drop }
            return .response(status: canned.status, headers: canned.contentType.map { [("Content-Type", $0)] } ?? [],
                             body: ByteBuffer(string: canned.body))
        }

        private func forward(_ head: HTTPRequestHead, _ body: ByteBuffer) async -> Reply {
            var request = HTTPClientRequest(url: upstream + head.uri)
            request.method = head.method
            for (name, value) in head.headers where !["host", "content-length", "connection"].contains(name.lowercased()) {
                request.headers.add(name: name, value: value)
            }
            if body.readableBytes > 0 { request.body = .bytes(body) }
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(120)),
                  let bytes = try? await response.body.collect(upTo: 64 << 20) else { return .drop }
            state.forwarded.withLock { $0 += 1 }
            let headers = response.headers.filter { !["content-length", "connection", "transfer-encoding"].contains($0.name.lowercased()) }
                .map { ($0.name, $0.value) }
            return .response(status: Int(response.status.code), headers: headers, body: bytes)
        }

        private func handle(_ head: HTTPRequestHead, _ body: ByteBuffer, fault: Fault?) async -> Reply {
            func error(_ status: Int, retryAfter: String?) -> Reply {
                var headers = [("Content-Type", "application/scim+json")]
                if let retryAfter { headers.append(("Retry-After", retryAfter)) }
                return .response(status: status, headers: headers, body: ByteBuffer(string:
                    #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"\#(status)","detail":"injected by the fault proxy"}"#))
            }
            switch fault {
            case .status503: return error(503, retryAfter: "1")
            case .status429: return error(429, retryAfter: "0")
            case .status500: return error(500, retryAfter: nil)
            case .dropBefore: return .drop
            default: break
            }
            if fault == .latency { try? await Task.sleep(for: plan.latency) }
            let reply = await forward(head, body)
            guard case .response(let status, _, _) = reply else { return reply }
            if fault == .dropAfter { return .drop }
            if fault == .malformed {
                return .response(status: status, headers: [("Content-Type", "application/scim+json")],
                                 body: ByteBuffer(string: "{\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:Li"))
            }
            return reply
        }

        private func write(_ reply: Reply, to context: ChannelHandlerContext, version: HTTPVersion) {
            switch reply {
            case .drop:
                context.close(promise: nil)
            case .response(let status, let headers, let body):
                var httpHeaders = HTTPHeaders(headers)
                httpHeaders.add(name: "Content-Length", value: String(body.readableBytes))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status),
                                                                     headers: httpHeaders))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
