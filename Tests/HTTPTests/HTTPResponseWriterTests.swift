import Testing
@testable import HTTP

@Suite("response writer")
struct HTTPResponseWriterTests {
    func written(_ response: HTTPResponse, version: HTTPVersion = .http1_1, head: Bool = false, keepAlive: Bool = true) -> String {
        var output: [UInt8] = []
        HTTPResponseWriter(requestVersion: version, isHeadRequest: head, keepAlive: keepAlive).write(response, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @Test("a response has a status line, the app's headers in order, Content-Length and the body")
    func basicResponse() {
        let text = written(HTTPResponse(status: 200, headers: ["Content-Type": "text/plain", "X-A": "1"], text: "hello"))
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello")
    }

    @Test("a wrong Content-Length or Transfer-Encoding from the app is replaced by the true framing")
    func framingIsTheWriters() {
        let text = written(HTTPResponse(status: 200, headers: ["Content-Length": "99", "Transfer-Encoding": "chunked"], text: "ab"))
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab")
    }

    @Test("HEAD gets the Content-Length of the body but no body")
    func headHasNoBody() {
        let text = written(HTTPResponse(status: 200, text: "hello"), head: true)
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    }

    @Test("204 and 304 carry neither body nor Content-Length")
    func statusesWithoutBody() {
        #expect(written(HTTPResponse(status: 204, text: "x")) == "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(written(HTTPResponse(status: 304)) == "HTTP/1.1 304 Not Modified\r\n\r\n")
    }

    @Test("closing adds Connection: close; HTTP/1.0 keep-alive says keep-alive")
    func connectionHeader() {
        #expect(written(HTTPResponse(status: 200), keepAlive: false) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(written(HTTPResponse(status: 200), version: .http1_0) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    }

    @Test("a stream is chunked on HTTP/1.1 and close-delimited on HTTP/1.0")
    func streaming() {
        var output: [UInt8] = []
        let writer = HTTPResponseWriter(requestVersion: .http1_1, isHeadRequest: false, keepAlive: true)
        writer.writeStreamHead(HTTPResponseHead(status: 200, headers: ["Content-Type": "text/event-stream"]), into: &output)
        writer.writeStreamChunk(Array("data: 1\n\n".utf8), into: &output)
        writer.writeStreamChunk([], into: &output)
        writer.writeStreamEnd(into: &output)
        let expected = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n9\r\ndata: 1\n\n\r\n0\r\n\r\n"
        #expect(String(decoding: output, as: UTF8.self) == expected)

        var old: [UInt8] = []
        let oldWriter = HTTPResponseWriter(requestVersion: .http1_0, isHeadRequest: false, keepAlive: false)
        #expect(!oldWriter.streamKeepsAlive)
        oldWriter.writeStreamHead(HTTPResponseHead(status: 200), into: &old)
        oldWriter.writeStreamChunk(Array("abc".utf8), into: &old)
        oldWriter.writeStreamEnd(into: &old)
        #expect(String(decoding: old, as: UTF8.self) == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc")
    }

    @Test("a written response parses back to the same status, headers and body")
    func roundTripThroughClientParser() throws {
        let response = HTTPResponse(status: 201, headers: ["X-Id": "7"], text: "{\"ok\":true}")
        var parser = HTTPResponseParser(requestMethod: "POST")
        parser.append(Array(written(response).utf8))
        let parsed = try parser.next()
        #expect(parsed?.status == 201)
        #expect(parsed?.headers["x-id"] == "7")
        #expect(parsed?.body == response.body)
    }
}
