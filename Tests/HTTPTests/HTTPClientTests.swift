import Dispatch
import Glibc
import Testing
@testable import HTTP

@Suite("client")
struct HTTPClientTests {
    @Test("GET and POST through the client, reusing one pooled connection")
    func poolReuse() throws {
        try withServer(handler: echoHandler) { server, port in
            let client = HTTPClient()
            defer { client.closeIdleConnections() }
            for index in 0..<3 {
                let response = try client.send(HTTPClientRequest(target: "/\(index)"), host: "127.0.0.1", port: port)
                #expect(response.status == 200 && response.text == "GET /\(index) ")
            }
            let post = try client.send(HTTPClientRequest(method: "POST", target: "/p", body: Array("body".utf8)), host: "127.0.0.1", port: port)
            #expect(post.text == "POST /p body")
            #expect(client.idleConnectionCount(host: "127.0.0.1", port: port) == 1)
            #expect(server.connectionCount == 1)
        }
    }

    @Test("the client reads chunked and close-delimited responses")
    func chunkedResponse() throws {
        try withServer(handler: { request, responder in
            responder.startStream(HTTPResponseHead(status: 200))
            for part in ["one ", "two ", "three"] { responder.write(Array(part.utf8)) }
            responder.finish()
        }) { _, port in
            let client = HTTPClient()
            defer { client.closeIdleConnections() }
            let response = try client.send(HTTPClientRequest(target: "/stream"), host: "localhost", port: port)
            #expect(response.text == "one two three" && response.keepAlive)
        }
    }

    @Test("a response slower than the response timeout fails with responseTimedOut")
    func responseTimeout() throws {
        try withServer(handler: { _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(2)) { responder.send(HTTPResponse(status: 200)) }
        }) { _, port in
            let client = HTTPClient(configuration: HTTPClientConfiguration(responseTimeout: .milliseconds(200)))
            #expect(throws: HTTPClientError.responseTimedOut) {
                try client.send(HTTPClientRequest(target: "/slow"), host: "127.0.0.1", port: port)
            }
            #expect(client.idleConnectionCount(host: "127.0.0.1", port: port) == 0)
        }
    }

    @Test("a pooled connection the server closed is replaced transparently for a GET")
    func staleConnectionRetried() throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(200)
        try withServer(configuration, handler: echoHandler) { server, port in
            let client = HTTPClient()
            defer { client.closeIdleConnections() }
            _ = try client.send(HTTPClientRequest(target: "/a"), host: "127.0.0.1", port: port)
            #expect(eventually { server.connectionCount == 0 })
            let response = try client.send(HTTPClientRequest(target: "/b"), host: "127.0.0.1", port: port)
            #expect(response.text == "GET /b ")
        }
    }

    @Test("connecting to a closed port fails with connectFailed")
    func connectRefused() throws {
        // Bind a port and close it so nothing listens there.
        let server = HTTPServer(handler: HTTPHandlerFunction(echoHandler))
        let port = try server.start()
        server.shutdown(gracePeriod: .milliseconds(100))
        let client = HTTPClient()
        #expect(throws: HTTPClientError.connectFailed(errno: ECONNREFUSED)) {
            try client.send(HTTPClientRequest(target: "/"), host: "127.0.0.1", port: port)
        }
    }
}
