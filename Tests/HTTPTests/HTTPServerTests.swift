import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing
@testable import HTTP

@Suite("server over real sockets")
struct HTTPServerTests {
    @Test("GET and POST round trip on an ephemeral port")
    func roundTrip() throws {
        try withServer(handler: echoHandler) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /v1/agents?limit=2 HTTP/1.1\r\nHost: x\r\n\r\n")
            let get = try client.readResponse()
            #expect(get.status == 200 && get.text == "GET /v1/agents?limit=2 ")
            try client.send("POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n{\"a\"")
            let post = try client.readResponse()
            #expect(post.text == "POST /v1/check {\"a\"")
            #expect(post.headers["Content-Length"] == "19")
        }
    }

    @Test("keep-alive: many requests reuse one connection")
    func keepAliveReuse() throws {
        try withServer(handler: echoHandler) { server, port in
            let client = try RawClient(port: port)
            for index in 0..<5 {
                try client.send("GET /\(index) HTTP/1.1\r\nHost: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.text == "GET /\(index) " && response.keepAlive)
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test("pipelined requests are answered in order even when completed out of order")
    func pipeliningOrder() throws {
        // Earlier requests are answered later, from other threads.
        let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
            let index = Int(request.path.dropFirst()) ?? 0
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50 * (5 - index))) {
                responder.send(HTTPResponse(status: 200, text: request.path))
            }
        }
        try withServer(handler: handler) { _, port in
            let client = try RawClient(port: port)
            try client.send((0..<5).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            let bodies = try (0..<5).map { _ in try client.readResponse().text }
            #expect(bodies == ["/0", "/1", "/2", "/3", "/4"])
        }
    }

    @Test("a client that pipelines many large responses before reading any gets them all, in order")
    func backpressure() throws {
        let payload = [UInt8](repeating: UInt8(ascii: "z"), count: 64 * 1024)
        try withServer(handler: { request, responder in
            responder.send(HTTPResponse(status: 200, headers: ["X-Path": request.path], body: payload))
        }) { _, port in
            let client = try RawClient(port: port)
            let count = 300
            try client.send((0..<count).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            for index in 0..<count {
                let response = try client.readResponse()
                #expect(response.headers["X-Path"] == "/\(index)")
                #expect(response.body.count == payload.count)
            }
        }
    }

    @Test("a chunked request body is de-chunked and a streamed response arrives chunked")
    func chunkedBothWays() throws {
        let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
            let body = request.body
            responder.startStream(HTTPResponseHead(status: 200, headers: ["Content-Type": "text/event-stream"]))
            DispatchQueue.global().async {
                for start in stride(from: 0, to: body.count, by: 3) {
                    #expect(responder.write(Array(body[start..<min(start + 3, body.count)])))
                }
                responder.finish()
            }
        }
        try withServer(handler: handler) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n6;x=y\r\nefghij\r\n0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.headers["Transfer-Encoding"] == "chunked")
            #expect(response.text == "abcdefghij")
            #expect(response.keepAlive)
            try client.send("POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            #expect(try client.readResponse().text == "ok")
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body is sent")
    func expectContinue() throws {
        try withServer(handler: echoHandler) { _, port in
            let client = try RawClient(port: port)
            try client.send("PUT /k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let interim = try client.readUntil("\r\n\r\n")
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            try client.send("value")
            #expect(try client.readResponse().text == "PUT /k value")
        }
    }

    @Test("HEAD gets headers and no body on the wire")
    func headRequest() throws {
        try withServer(handler: echoHandler) { _, port in
            let client = try RawClient(port: port, requestMethod: "HEAD")
            try client.send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try client.readResponse()
            #expect(head.headers["Content-Length"] == "8" && head.body.isEmpty)
            // Had a body followed the HEAD response, it would precede this one's status line.
            try client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = try client.readUntil("GET /after ")
            #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
        }
    }

    @Test("HTTP/1.0 without keep-alive gets Connection: close and the connection closes")
    func http10Closes() throws {
        try withServer(handler: echoHandler) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /old HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.headers["Connection"] == "close" && response.text == "GET /old ")
            #expect(client.waitForClose())
        }
    }

    @Test("a handler that drops its responder yields 500, not a hung connection")
    func droppedResponder() throws {
        try withServer(handler: { _, _ in }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 500)
        }
    }
}

@Suite("server limits and timeouts")
struct HTTPServerLimitTests {
    func expectRefusal(_ request: String, status: Int, configuration: HTTPServerConfiguration = HTTPServerConfiguration()) throws {
        try withServer(configuration, handler: echoHandler) { _, port in
            let client = try RawClient(port: port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status)
            #expect(response.headers["Connection"] == "close")
            #expect(client.waitForClose())
            let next = try RawClient(port: port)
            try next.send("GET /still-serving HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try next.readResponse().status == 200)
        }
    }

    @Test("a request line over 8 KiB gets 414")
    func requestLineLimit() throws {
        try expectRefusal("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414)
    }

    @Test("a header section over 16 KiB gets 431, and so do 101 fields")
    func headerLimits() throws {
        try expectRefusal("GET / HTTP/1.1\r\nHost: x\r\nX: \(String(repeating: "v", count: 17_000))\r\n\r\n", status: 431)
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        try expectRefusal("GET / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n", status: 431)
    }

    @Test("a body over the limit gets 413, even while the client is still sending it")
    func bodyLimit() throws {
        var configuration = HTTPServerConfiguration()
        configuration.limits.maximumBodyBytes = 1000
        let body = String(repeating: "b", count: 200_000)
        try expectRefusal("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n\(body)", status: 413, configuration: configuration)
    }

    @Test("garbage gets 400 and the server keeps serving")
    func garbage() throws {
        try expectRefusal("\u{1}\u{2}garbage\r\n\r\n", status: 400)
        try expectRefusal("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", status: 400)
    }

    @Test("a slow-loris client is closed after the header-read timeout while others are served")
    func slowLoris() throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerReadTimeout = .milliseconds(300)
        try withServer(configuration, handler: echoHandler) { _, port in
            let slow = try RawClient(port: port)
            try slow.send("GET / HTTP/1.1\r\nHost: x\r\n")
            let other = try RawClient(port: port)
            try other.send("GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try other.readResponse().text == "GET /fast ")
            var closed = false
            // Trickle a byte every 20 ms for at most 10 s; the server must cut it off long before.
            for _ in 0..<500 where !closed {
                if (try? slow.send("X")) == nil { closed = true; break }
                closed = (try? slow.receive(milliseconds: 20)).map { $0.ended || !$0.bytes.isEmpty } ?? false
            }
            #expect(closed)
            try other.send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try other.readResponse().text == "GET /again ")
        }
    }

    @Test("the header-read timeout does not run while the client waits for a slow answer")
    func headerTimeoutPausedWhileAnswerOwed() throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerReadTimeout = .milliseconds(200)
        try withServer(configuration, handler: { request, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(600)) {
                responder.send(HTTPResponse(status: 200, text: request.path))
            }
        }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n")
            #expect(try client.readResponse().text == "/1")
            try client.send("Host: x\r\n\r\n")
            #expect(try client.readResponse().text == "/2")
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() throws {
        var configuration = HTTPServerConfiguration()
        configuration.idleTimeout = .milliseconds(300)
        try withServer(configuration, handler: echoHandler) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readResponse()
            #expect(client.waitForClose())
            #expect(eventually { server.connectionCount == 0 })
        }
    }

    @Test("beyond the connection cap a client gets 503 and is closed")
    func connectionCap() throws {
        var configuration = HTTPServerConfiguration()
        configuration.maximumConnections = 2
        try withServer(configuration, handler: echoHandler) { server, port in
            let first = try RawClient(port: port), second = try RawClient(port: port)
            for client in [first, second] {
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
            let third = try RawClient(port: port)
            #expect(try third.readResponse().status == 503)
            #expect(server.connectionCount == 2)
            first.close()
            #expect(eventually { server.connectionCount == 1 })
            let fourth = try RawClient(port: port)
            try fourth.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try fourth.readResponse().status == 200)
        }
    }
}

@Suite("graceful shutdown")
struct HTTPServerShutdownTests {
    @Test("shutdown finishes in-flight requests, closes idle connections and stops accepting")
    func gracefulShutdown() throws {
        let received = DispatchSemaphore(value: 0)
        let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
            received.signal()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) {
                responder.send(HTTPResponse(status: 200, text: "finished \(request.path)"))
            }
        }
        let server = HTTPServer(handler: HTTPHandlerFunction(handler))
        let port = try server.start()
        let idle = try RawClient(port: port)
        let busy = try RawClient(port: port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(received.wait(timeout: .now() + 10) == .success)
        let finished = DispatchSemaphore(value: 0)
        let box = LoopBound(value: server)
        DispatchQueue.global().async {
            box.value.shutdown(gracePeriod: .seconds(10))
            finished.signal()
        }
        let response = try busy.readResponse()
        #expect(response.text == "finished /slow")
        #expect(busy.waitForClose())
        #expect(idle.waitForClose())
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(throws: RawClientError.self) { _ = try RawClient(port: port) }
    }

    @Test("shutdown closes a request the application never finishes once the grace period ends")
    func boundedShutdown() throws {
        let server = HTTPServer(handler: HTTPHandlerFunction { _, responder in
            responder.startStream(HTTPResponseHead(status: 200))
        })
        let port = try server.start()
        let client = try RawClient(port: port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readUntil("\r\n\r\n")
        server.shutdown(gracePeriod: .milliseconds(200))
        #expect(client.waitForClose())
        #expect(server.connectionCount == 0)
    }

    @Test("a stream to a client that stops reading is refused beyond its bound, not buffered without end")
    func streamBackpressure() throws {
        let refusedAfter = Mutex<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        try withServer(handler: { _, responder in
            responder.startStream(HTTPResponseHead(status: 200, headers: ["Content-Type": "text/event-stream"]))
            DispatchQueue.global().async {
                let chunk = [UInt8](repeating: UInt8(ascii: "e"), count: 16 * 1024)
                // 10 000 chunks is 160 MiB: far past any socket buffer, so refusal must come first.
                for index in 0..<10_000 where !responder.write(chunk) {
                    refusedAfter.withLock { $0 = index }
                    break
                }
                responder.finish()
                done.signal()
            }
        }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /feed HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(done.wait(timeout: .now() + 30) == .success)
            let accepted = try #require(refusedAfter.withLock { $0 })
            #expect(accepted > 0 && accepted < 10_000)
        }
    }

    @Test("a stream write reports false once the client is gone")
    func streamWriteAfterClientGone() throws {
        let responderBox = Mutex<HTTPResponder?>(nil)
        try withServer(handler: { _, responder in
            responder.startStream(HTTPResponseHead(status: 200))
            responderBox.withLock { $0 = responder }
        }) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /feed HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readUntil("\r\n\r\n")
            client.close()
            let responder = try #require(responderBox.withLock { $0 })
            #expect(eventually { !responder.write(Array("data: x\n\n".utf8)) })
            #expect(responder.isClientGone)
            responder.finish()
            responderBox.withLock { $0 = nil }
            #expect(eventually { server.connectionCount == 0 })
        }
    }
}

@Suite("server under random input")
struct HTTPServerFuzzTests {
    @Test("random and mutated bytes on many connections never stop the server from serving")
    func randomConnections() throws {
        var configuration = HTTPServerConfiguration()
        configuration.headerReadTimeout = .milliseconds(500)
        try withServer(configuration, handler: echoHandler) { server, port in
            var generator = SeededGenerator(seed: 0x5EED_0003)
            for index in 0..<60 {
                let client = try RawClient(port: port)
                let seed = Array(FuzzInputs.seeds[index % FuzzInputs.seeds.count].utf8)
                let input = index % 2 == 0 ? FuzzInputs.mutate(seed, using: &generator) : FuzzInputs.soup(using: &generator)
                try? client.send(input)
                // Whatever the server answers, it answers or closes; the test never waits unbounded.
                _ = try? client.receive(milliseconds: 50)
                client.close()
            }
            let check = try RawClient(port: port)
            try check.send("GET /alive HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try check.readResponse().text == "GET /alive ")
            check.close()
            #expect(eventually { server.connectionCount == 0 })
        }
    }
}
