import Dispatch
import HTTP
import Server
import Testing

@Suite("metrics")
struct MetricsTests {
    @Test("counters, gauges and histograms are exposed in Prometheus text format")
    func exposition() {
        let metrics = Metrics()
        metrics.recordRequest(route: "POST /v1/agents", status: 201)
        metrics.recordRequest(route: "POST /v1/agents", status: 201)
        metrics.recordRequest(route: "GET /v1/agents/{id}", status: 404)
        metrics.set(StandardMetric.appliedRevision, to: 42)
        metrics.observe(StandardMetric.commitLatency, 0.0007)
        metrics.observe(StandardMetric.commitLatency, 0.003)
        metrics.observe(StandardMetric.commitLatency, 5)
        let text = metrics.exposition()
        #expect(text.contains("# HELP warden_http_requests_total HTTP requests by route and status code\n# TYPE warden_http_requests_total counter\n"))
        #expect(text.contains("warden_http_requests_total{route=\"POST /v1/agents\",code=\"201\"} 2\n"))
        #expect(text.contains("warden_http_requests_total{route=\"GET /v1/agents/{id}\",code=\"404\"} 1\n"))
        #expect(text.contains("# TYPE warden_applied_revision gauge\nwarden_applied_revision 42\n"))
        #expect(text.contains("warden_commit_latency_seconds_bucket{le=\"0.0005\"} 0\n"))
        #expect(text.contains("warden_commit_latency_seconds_bucket{le=\"0.001\"} 1\n"))
        #expect(text.contains("warden_commit_latency_seconds_bucket{le=\"0.005\"} 2\n"))
        #expect(text.contains("warden_commit_latency_seconds_bucket{le=\"1\"} 2\n"))
        #expect(text.contains("warden_commit_latency_seconds_bucket{le=\"+Inf\"} 3\n"))
        #expect(text.contains("warden_commit_latency_seconds_sum 5.0037\n"))
        #expect(text.contains("warden_commit_latency_seconds_count 3\n"))
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let value = line.split(separator: " ").last.map(String.init) ?? ""
            #expect(Double(value) != nil || value == "+Inf", "\(line)")
        }
    }

    @Test("label values are escaped and series per family are bounded")
    func escapingAndBounds() {
        let metrics = Metrics()
        metrics.declare("test_total", .counter, help: "a\nb", labels: ["name"])
        metrics.increment("test_total", labels: ["say \"hi\"\\\n"])
        #expect(metrics.exposition().contains("test_total{name=\"say \\\"hi\\\"\\\\\\n\"} 1\n"))
        #expect(metrics.exposition().contains("# HELP test_total a\\nb\n"))
        for index in 0..<(Metrics.maximumSeriesPerFamily + 10) { metrics.increment("test_total", labels: ["n\(index)"]) }
        let series = metrics.exposition().split(separator: "\n").filter { $0.hasPrefix("test_total{") }
        #expect(series.count == Metrics.maximumSeriesPerFamily)
    }

    @Test("concurrent recording from many threads loses no increment")
    func concurrent() {
        let metrics = Metrics()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<1_000 { metrics.recordRequest(route: "GET /healthz", status: 200) }
        }
        #expect(metrics.exposition().contains("warden_http_requests_total{route=\"GET /healthz\",code=\"200\"} 8000\n"))
    }

    @Test("the metrics response carries the Prometheus content type")
    func response() {
        let response = Metrics().response()
        #expect(response.status == 200 && response.headers["Content-Type"] == Metrics.contentType)
    }
}

@Suite("metrics labels and revision stamping")
struct APILabelTests {
    @Test("requests are labelled by route template, never by raw path")
    func labels() {
        #expect(APIRouter.routeLabel(HTTPRequest(method: "GET", target: "/v1/agents/bot-17?consistency=serializable")) == "GET /v1/agents/{id}")
        #expect(APIRouter.routeLabel(HTTPRequest(method: "POST", target: "/v1/agents/bot/kill")) == "POST /v1/agents/{id}/kill")
        #expect(APIRouter.routeLabel(HTTPRequest(method: "PUT", target: "/v1/agents/bot")) == "GET /v1/agents/{id}")
        #expect(APIRouter.routeLabel(HTTPRequest(method: "HEAD", target: "/v1/agents")) == "GET /v1/agents")
        #expect(APIRouter.routeLabel(HTTPRequest(method: "GET", target: "/secret/path/123")) == "unmatched")
    }

    @Test("answers the router gave alone get the revision header once")
    func stamping() {
        guard case .respond(let response) = APIRouter.route(HTTPRequest(method: "GET", target: "/nowhere")) else {
            Issue.record("routed"); return
        }
        let stamped = APIResponses.stamped(response, revision: 9)
        #expect(stamped.headers["Warden-Revision"] == "9" && stamped.status == 404)
        #expect(APIResponses.stamped(stamped, revision: 10).headers.values(for: "Warden-Revision") == ["9"])
    }
}
