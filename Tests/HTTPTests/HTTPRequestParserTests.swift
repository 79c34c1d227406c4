import Testing
@testable import HTTP

// MARK: - Feeding helpers

/// What a whole input produced: the events before the first error, and that error if any.
struct ParseOutcome: Equatable {
    var events: [HTTPParserEvent] = []
    var error: HTTPParseError? = nil

    var requests: [HTTPRequest] {
        events.compactMap { if case .request(let request) = $0 { return request } else { return nil } }
    }
}

/// Feeds `input` in slices of `sliceSize` bytes, draining events after each slice.
func parse(_ input: [UInt8], sliceSize: Int = .max, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var offset = 0
    repeat {
        let end = min(input.count, offset + max(sliceSize, 1))
        parser.append(input[offset..<end])
        offset = end
        do {
            while let event = try parser.next() { outcome.events.append(event) }
        } catch {
            outcome.error = error
            return outcome
        }
    } while offset < input.count
    return outcome
}

func parse(_ text: String, sliceSize: Int = .max, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    parse(Array(text.utf8), sliceSize: sliceSize, limits: limits)
}

/// Parses whole and byte by byte, expects both to agree, and returns the outcome.
func parseEverySplit(_ text: String, limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    let whole = parse(text, limits: limits)
    let byteByByte = parse(text, sliceSize: 1, limits: limits)
    #expect(whole.requests == byteByByte.requests, "byte-by-byte feeding changed the requests")
    #expect(whole.error?.status == byteByByte.error?.status, "byte-by-byte feeding changed the error")
    for slice in [2, 3, 7, 64] {
        let sliced = parse(text, sliceSize: slice, limits: limits)
        #expect(sliced.requests == whole.requests && sliced.error?.status == whole.error?.status, "slice \(slice) disagrees")
    }
    return whole
}

// MARK: - Valid requests

@Suite("request parser: valid requests")
struct HTTPRequestParserValidTests {
    @Test("a GET yields method, target, path, query, version and ordered headers")
    func simpleGet() {
        let outcome = parseEverySplit("GET /v1/agents?owner=anne&limit=5 HTTP/1.1\r\nHost: a\r\nX-One: 1\r\nx-one: 2\r\n\r\n")
        #expect(outcome.error == nil)
        let request = outcome.requests.first
        #expect(request?.method == "GET")
        #expect(request?.target == "/v1/agents?owner=anne&limit=5")
        #expect(request?.path == "/v1/agents")
        #expect(request?.query == "owner=anne&limit=5")
        #expect(request?.version == .http1_1)
        #expect(request?.headers["X-ONE"] == "1")
        #expect(request?.headers.values(for: "x-one") == ["1", "2"])
        #expect(request?.body == [])
    }

    @Test("optional whitespace around field values is trimmed, inner whitespace kept")
    func trimsFieldValues() {
        let outcome = parseEverySplit("GET / HTTP/1.1\r\nHost:a\r\nX-Value: \t a  b \t\r\n\r\n")
        #expect(outcome.requests.first?.headers["x-value"] == "a  b")
    }

    @Test("a Content-Length body is read exactly")
    func contentLengthBody() {
        let outcome = parseEverySplit("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        #expect(outcome.requests.first?.body == Array("hello".utf8))
    }

    @Test("a chunked body is de-chunked, with extensions and trailers dropped")
    func chunkedBody() {
        let text = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n1 ; ext\r\n,\r\n6\r\n world\r\n0\r\nTrailer-A: 1\r\n\r\n"
        let outcome = parseEverySplit(text)
        #expect(outcome.error == nil)
        #expect(outcome.requests.first?.body == Array("hello, world".utf8))
        #expect(outcome.requests.first?.headers["Trailer-A"] == nil)
    }

    @Test("pipelined requests come out in order")
    func pipelined() {
        let text = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
        let outcome = parseEverySplit(text)
        #expect(outcome.requests.map(\.target) == ["/1", "/2", "/3"])
        #expect(outcome.requests[1].body == Array("hi".utf8))
    }

    @Test("Expect: 100-continue is signalled before the body, then the request follows")
    func expectContinue() {
        let outcome = parse("POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(outcome.events.first == .continueExpected)
        #expect(outcome.requests.first?.body == Array("ok".utf8))
    }

    @Test("HTTP/1.0 closes by default and keeps alive only when asked; 1.1 the reverse")
    func keepAliveDefaults() {
        #expect(parse("GET / HTTP/1.0\r\n\r\n").requests.first?.keepAlive == false)
        #expect(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests.first?.keepAlive == true)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").requests.first?.keepAlive == true)
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n").requests.first?.keepAlive == false)
    }

    @Test("identical repeated Content-Length values are accepted")
    func repeatedEqualContentLength() {
        let outcome = parseEverySplit("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc")
        #expect(outcome.requests.first?.body == Array("abc".utf8))
    }

    @Test("one leading empty line before a request is ignored")
    func leadingEmptyLine() {
        #expect(parseEverySplit("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").requests.count == 1)
    }

    @Test("requests exactly at each limit are accepted")
    func exactlyAtLimits() {
        let limits = HTTPLimits(maximumRequestLineBytes: 64, maximumHeaderBytes: 64, maximumHeaderFields: 3, maximumBodyBytes: 4)
        let target = "/" + String(repeating: "a", count: 64 - "GET  HTTP/1.1".count - 1)
        let line = "GET \(target) HTTP/1.1"
        #expect(line.utf8.count == 64)
        // Host: a\r\n is 9 bytes, the end of the section 2: pad one field to fill 64 exactly.
        let padding = String(repeating: "p", count: 64 - 9 - 2 - "X: \r\n".count)
        let text = "\(line)\r\nHost: a\r\nX: \(padding)\r\n\r\n"
        #expect(parse(text, limits: limits).requests.count == 1)
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits: limits).requests.count == 1)
    }
}

// MARK: - Refused requests

@Suite("request parser: refusals and their status codes")
struct HTTPRequestParserRefusalTests {
    func status(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
        parseEverySplit(text, limits: limits).error?.status
    }

    @Test("a request line over 8 KiB is 414, even before its end arrives")
    func requestLineTooLong() {
        let target = "/" + String(repeating: "a", count: 9000)
        #expect(status("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n") == 414)
        #expect(parse("GET \(target)").error?.status == 414)
    }

    @Test("a header section over 16 KiB is 431, even before its end arrives")
    func headersTooLarge() {
        let big = String(repeating: "v", count: 17 * 1024)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX: \(big)\r\n\r\n") == 431)
        #expect(parse("GET / HTTP/1.1\r\nX: \(big)").error?.status == 431)
    }

    @Test("more than 100 header fields is 431")
    func tooManyFields() {
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n") == 431)
    }

    @Test("a body over the limit is 413: by Content-Length at once, by chunks as they arrive")
    func bodyTooLarge() {
        let limits = HTTPLimits(maximumBodyBytes: 10)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limits: limits) == 413)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n") == 413)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\nabcde\r\n0\r\n\r\n"
        #expect(status(chunked, limits: limits) == 413)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n") == 413)
    }

    @Test("413 comes before 100-continue, so a client never sends a body that would be refused")
    func bodyTooLargeBeforeContinue() {
        let outcome = parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n")
        #expect(outcome.events.isEmpty)
        #expect(outcome.error?.status == 413)
    }

    @Test("both Transfer-Encoding and Content-Length is 400 (request smuggling)")
    func smugglingRefused() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n") == 400)
    }

    @Test("differing Content-Length values are 400")
    func conflictingContentLength() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd") == 400)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd") == 400)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n") == 400)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n") == 400)
    }

    @Test("transfer codings other than chunked are 501")
    func unsupportedTransferEncoding() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n") == 501)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501)
    }

    @Test("an HTTP major version other than 1 is 505; a malformed version is 400")
    func versions() {
        #expect(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505)
        #expect(status("GET / HTTP/1.1x\r\nHost: a\r\n\r\n") == 400)
        #expect(status("GET / HTTX/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("obs-fold, whitespace before the colon, bare LF and control bytes are 400")
    func malformedFields() {
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX : a\r\n\r\n") == 400)
        #expect(status("GET / HTTP/1.1\nHost: a\n\n") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n") == 400)
    }

    @Test("malformed request lines are 400")
    func malformedRequestLines() {
        #expect(status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(status("GET /\r\n\r\n") == 400)
        #expect(status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
        #expect(status("GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n") == 400)
    }

    @Test("an HTTP/1.1 request without exactly one Host is 400")
    func hostRequired() {
        #expect(status("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
    }

    @Test("malformed chunk framing is 400")
    func malformedChunks() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(status(head + "zz\r\n") == 400)
        #expect(status(head + "3\r\nabcd\r\n0\r\n\r\n") == 400)
        #expect(status(head + "3 x\r\nabc\r\n0\r\n\r\n") == 400)
    }

    @Test("an expectation other than 100-continue is 417")
    func unknownExpectation() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\nx") == 417)
    }

    @Test("after an error the parser stays failed")
    func staysFailed() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n".utf8))
        #expect(throws: HTTPParseError.self) { _ = try parser.next() }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { _ = try parser.next() }
    }
}
