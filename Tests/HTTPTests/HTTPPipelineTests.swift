import Glibc
import Synchronization
import Testing
@testable import HTTP

@Suite("pipelined client connection")
struct HTTPPipelineTests {
    @Test("requests sent back to back arrive in order and their responses are collected later, on one connection")
    func pipelinedRequestsInOrder() throws {
        let received = Mutex<[String]>([])
        try withServer(handler: { request, responder in
            received.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
            responder.send(HTTPResponse(status: request.body.isEmpty ? 400 : 204))
        }) { server, port in
            let pipeline = HTTPPipeline(client: HTTPClient(), host: "127.0.0.1", port: port)
            try pipeline.connect()
            for index in 0..<20 {
                try pipeline.sendWithoutBlocking(HTTPClientRequest(method: "POST", target: "/m", body: Array("m\(index)".utf8)))
            }
            try pipeline.sendWithoutBlocking(HTTPClientRequest(method: "POST", target: "/m"))
            try pipeline.flush()
            var statuses: [Int] = []
            while pipeline.outstanding > 0 { statuses += try pipeline.collect(waiting: true) }
            #expect(statuses == Array(repeating: 204, count: 20) + [400])
            #expect(received.withLock { $0 } == (0..<20).map { "m\($0)" } + [""])
            #expect(server.connectionCount == 1)
            #expect(try pipeline.collect(waiting: false).isEmpty)
        }
    }

    @Test("collecting without waiting returns at once, and a connection the server closed is reported and closed")
    func connectionLoss() throws {
        try withServer(handler: { _, responder in
            responder.send(HTTPResponse(status: 204, headers: ["Connection": "close"]))
        }) { _, port in
            let pipeline = HTTPPipeline(client: HTTPClient(), host: "127.0.0.1", port: port)
            #expect(throws: HTTPClientError.connectionLost) { try pipeline.sendWithoutBlocking(HTTPClientRequest(method: "POST", target: "/")) }
            try pipeline.connect()
            try pipeline.sendWithoutBlocking(HTTPClientRequest(method: "POST", target: "/"))
            #expect(pipeline.outstanding == 1)
            #expect(throws: HTTPClientError.connectionLost) {
                for _ in 0..<100 { _ = try pipeline.collect(waiting: true) }
            }
            #expect(!pipeline.isConnected && pipeline.outstanding == 0)
        }
    }
}
