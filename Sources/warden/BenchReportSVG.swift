import Foundation

// MARK: - SVG latency CDF

/// A hand-written SVG chart: cumulative fraction of requests (y, linear) against latency
/// (x, milliseconds, log scale), one curve per client count.
enum BenchReportSVG {
    /// Canvas size in pixels.
    static let width = 760.0, height = 440.0
    /// Plot margins: left, right, top, bottom.
    static let left = 70.0, right = 150.0, top = 40.0, bottom = 50.0
    /// Curve colours, one per client count, in order.
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    /// Fractions marked with a horizontal guide.
    static let guides = [0.5, 0.9, 0.99]

    /// The chart for the runs of one workload.
    static func cdf(title: String, runs: [BenchRunResult]) -> String {
        let curves = runs.map { $0.histogram.cumulativeDistribution() }
        let all = curves.flatMap { $0.map { max(Double($0.nanoseconds) / 1e6, 1e-3) } }
        let lowDecade = floor(log10(all.min() ?? 0.1)), highDecade = max(ceil(log10(all.max() ?? 10)), lowDecade + 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ milliseconds: Double) -> Double {
            left + (log10(max(milliseconds, 1e-3)) - lowDecade) / (highDecade - lowDecade) * plotWidth
        }
        func y(_ fraction: Double) -> Double { top + (1 - fraction) * plotHeight }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="24" font-size="15">\(escaped(title))</text>

            """
        svg += axes(lowDecade: lowDecade, highDecade: highDecade, x: x, y: y)
        for (index, (run, curve)) in zip(runs, curves).enumerated() {
            let color = colors[index % colors.count]
            var points = curve.first.map { ["\(fmt(x(Double($0.nanoseconds) / 1e6))),\(fmt(y(0)))"] } ?? []
            points += curve.map { "\(fmt(x(Double($0.nanoseconds) / 1e6))),\(fmt(y($0.fraction)))" }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            let legendY = top + 20 + Double(index) * 36
            svg += "<line x1=\"\(fmt(width - right + 12))\" y1=\"\(fmt(legendY))\" x2=\"\(fmt(width - right + 32))\" y2=\"\(fmt(legendY))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            svg += "<text x=\"\(fmt(width - right + 38))\" y=\"\(fmt(legendY + 4))\">\(run.clients) client\(run.clients == 1 ? "" : "s")</text>\n"
            svg += "<text x=\"\(fmt(width - right + 38))\" y=\"\(fmt(legendY + 19))\" font-size=\"10\">\(BenchFormat.fixed(run.throughput, 0))/s, p50 \(BenchFormat.milliseconds(run.histogram.value(atQuantile: 0.5))) ms</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Frame, decade grid with labels, fraction guides and axis titles.
    private static func axes(lowDecade: Double, highDecade: Double, x: (Double) -> Double, y: (Double) -> Double) -> String {
        var svg = "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"none\" stroke=\"#444\"/>\n"
        var decade = lowDecade
        while decade <= highDecade {
            let value = pow(10, decade)
            for step in 1...9 where decade < highDecade || step == 1 {
                let position = fmt(x(value * Double(step)))
                let stroke = step == 1 ? "#bbb" : "#eee"
                svg += "<line x1=\"\(position)\" y1=\"\(top)\" x2=\"\(position)\" y2=\"\(height - bottom)\" stroke=\"\(stroke)\"/>\n"
            }
            let label = value >= 1 ? "\(Int(value)) ms" : "\(BenchFormat.fixed(value, Int(-decade))) ms"
            svg += "<text x=\"\(fmt(x(value)))\" y=\"\(fmt(height - bottom + 18))\" text-anchor=\"middle\">\(label)</text>\n"
            decade += 1
        }
        for fraction in [0.0, 0.25, 0.5, 0.75, 1.0] {
            svg += "<text x=\"\(fmt(left - 8))\" y=\"\(fmt(y(fraction) + 4))\" text-anchor=\"end\">\(BenchFormat.fixed(fraction, 2))</text>\n"
        }
        for guide in guides {
            svg += "<line x1=\"\(left)\" y1=\"\(fmt(y(guide)))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(y(guide)))\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>\n"
            svg += "<text x=\"\(fmt(width - right - 4))\" y=\"\(fmt(y(guide) - 3))\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">p\(Int((guide * 100).rounded()))</text>\n"
        }
        svg += "<text x=\"\(fmt(left + (width - left - right) / 2))\" y=\"\(fmt(height - 12))\" text-anchor=\"middle\">latency (log scale)</text>\n"
        svg += "<text x=\"18\" y=\"\(fmt(top + (height - top - bottom) / 2))\" transform=\"rotate(-90 18 \(fmt(top + (height - top - bottom) / 2)))\" text-anchor=\"middle\">fraction of requests ≤ latency</text>\n"
        return svg
    }

    private static func fmt(_ value: Double) -> String { BenchFormat.fixed(value, 1) }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
