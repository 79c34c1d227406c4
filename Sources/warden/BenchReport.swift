import Foundation
import JSON

// MARK: - Number formatting

/// Fixed-point formatting without Foundation's locale-dependent formatters.
enum BenchFormat {
    /// `value` with `decimals` digits after the point.
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        let sign = value < 0 && scaled != 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let digits = String(fraction)
        return "\(sign)\(whole)." + String(repeating: "0", count: max(0, decimals - digits.count)) + digits
    }

    /// Nanoseconds as milliseconds with three decimals.
    static func milliseconds(_ nanoseconds: UInt64) -> String { fixed(Double(nanoseconds) / 1e6, 3) }

    /// Pads on the left to `width`.
    static func padded(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}

// MARK: - Table

/// The end-of-run table, whitespace-separated so scripts can read it (`awk '$1=="kill"'`).
enum BenchReportTable {
    /// Column titles.
    static let header = ["workload", "clients", "ops/s", "p50_ms", "p99_ms", "p999_ms", "min_ms", "max_ms", "errors"]
    /// Column widths (the first is left-aligned).
    static let widths = [22, 7, 10, 9, 9, 9, 9, 9, 7]

    /// One line per run.
    static func render(_ runs: [BenchRunResult]) -> String {
        var lines = [row(header.enumerated().map { $0.offset == 0 ? "# " + $0.element : $0.element })]
        for run in runs {
            let histogram = run.histogram
            lines.append(row([
                run.workload, "\(run.clients)", BenchFormat.fixed(run.throughput, 1),
                BenchFormat.milliseconds(histogram.value(atQuantile: 0.5)), BenchFormat.milliseconds(histogram.value(atQuantile: 0.99)),
                BenchFormat.milliseconds(histogram.value(atQuantile: 0.999)),
                BenchFormat.milliseconds(histogram.count > 0 ? histogram.minimum : 0), BenchFormat.milliseconds(histogram.maximum),
                "\(run.errors)",
            ]))
        }
        return lines.joined(separator: "\n")
    }

    private static func row(_ cells: [String]) -> String {
        cells.enumerated().map { index, cell in
            index == 0 ? cell + String(repeating: " ", count: max(1, widths[0] - cell.count)) : BenchFormat.padded(cell, widths[index])
        }.joined(separator: " ")
    }
}

// MARK: - Summaries

/// What a workload reports besides its rows: lines printed under the table and an object in the
/// JSON file under `name` (failover recovery, feed fan-out, enforcer/nginx ratios, restart, memory).
struct BenchSummary: Sendable {
    /// Key in the JSON document.
    var name: String
    /// Lines printed after the table.
    var lines: [String]
    /// Raw figures.
    var json: JSONValue
}

// MARK: - JSON

/// The raw figures of a run as JSON: every run's counts, quantiles, per-second series, CDF and errors.
enum BenchReportJSON {
    /// The whole report: every run, and each workload summary under its name.
    static func document(runs: [BenchRunResult], summaries: [BenchSummary], target: String, load: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "generated_at": .string(ISO8601DateFormatter().string(from: Date())),
            "target": .string(target),
            "load_average_at_start": .string(load),
            "cpus": .integer(Int64(ProcessInfo.processInfo.activeProcessorCount)),
            "warmup_seconds": .double(BenchLoadRunner.warmupSeconds),
            "runs": .array(runs.map(run)),
        ]
        for summary in summaries { object[summary.name] = summary.json }
        return .object(object)
    }

    /// One run's figures.
    static func run(_ run: BenchRunResult) -> JSONValue {
        let histogram = run.histogram
        func ms(_ nanoseconds: UInt64) -> JSONValue { .double(Double(nanoseconds) / 1e6) }
        return .object([
            "workload": .string(run.workload), "clients": .integer(Int64(run.clients)), "seconds": .double(run.seconds),
            "successes": .integer(Int64(run.successes)), "errors": .integer(Int64(run.errors)),
            "ops_per_second": .double(run.throughput),
            "latency_ms": .object([
                "min": ms(histogram.count > 0 ? histogram.minimum : 0), "mean": .double(histogram.mean / 1e6),
                "p50": ms(histogram.value(atQuantile: 0.5)), "p90": ms(histogram.value(atQuantile: 0.9)),
                "p99": ms(histogram.value(atQuantile: 0.99)), "p999": ms(histogram.value(atQuantile: 0.999)),
                "max": ms(histogram.maximum),
            ]),
            "per_second": .array(run.perSecond.map { .integer(Int64($0)) }),
            "error_samples": .array(run.errorSamples.map { .string($0) }),
            "cdf_ms": .array(histogram.cumulativeDistribution().map { .array([ms($0.nanoseconds), .double($0.fraction)]) }),
        ])
    }

    /// Writes `bench-<timestamp>.json` and one CDF SVG per workload into `directory`; returns the paths.
    static func write(runs: [BenchRunResult], summaries: [BenchSummary], target: String, load: String,
                      to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stamp = timestamp()
        var paths: [String] = []
        let jsonPath = "\(directory)/bench-\(stamp).json"
        let bytes = JSONWriter().bytes(document(runs: runs, summaries: summaries, target: target, load: load))
        try Data(bytes).write(to: URL(fileURLWithPath: jsonPath))
        paths.append(jsonPath)
        var workloads: [String] = []
        for run in runs where !workloads.contains(run.workload) { workloads.append(run.workload) }
        for workload in workloads {
            let svgPath = "\(directory)/bench-\(stamp)-\(workload).svg"
            let svg = BenchReportSVG.cdf(title: "\(workload): latency CDF (\(target))", runs: runs.filter { $0.workload == workload })
            try Data(svg.utf8).write(to: URL(fileURLWithPath: svgPath))
            paths.append(svgPath)
        }
        return paths
    }

    /// `yyyyMMdd-HHmmss` in UTC.
    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }
}
