import Foundation

/// A line series for a chart.
struct Series {
    let name: String
    let color: (r: UInt8, g: UInt8, b: UInt8)
    let values: [Double]
    var hex: String { String(format: "#%02x%02x%02x", color.r, color.g, color.b) }
}

/// Training curves: losses on the left panel, the quality measure on the right.
struct TrainingChart {
    let panels: [(title: String, series: [Series])]

    init(_ metrics: [EpochMetrics]) {
        var loss = [Series(name: "train loss", color: (31, 119, 180), values: metrics.map(\.trainLoss))]
        if metrics.allSatisfy({ $0.valLoss != nil }) {
            loss.append(Series(name: "val loss", color: (255, 127, 14), values: metrics.map { $0.valLoss! }))
        }
        var panels = [(title: "Loss", series: loss)]
        if metrics.allSatisfy({ $0.valAccuracy != nil }), !metrics.isEmpty {
            panels.append(
                (
                    "Validation accuracy",
                    [Series(name: "val accuracy", color: (44, 160, 44), values: metrics.map { $0.valAccuracy! })]
                ))
        } else if metrics.allSatisfy({ $0.valR2 != nil }), !metrics.isEmpty {
            panels.append(
                ("Validation R²", [Series(name: "val R²", color: (44, 160, 44), values: metrics.map { $0.valR2! })]))
        }
        self.panels = panels
    }

    static let panelWidth = 420.0
    static let height = 300.0
    static let margin = (left: 56.0, right: 16.0, top: 30.0, bottom: 36.0)

    /// Maps series values to pixel coordinates inside panel `p`.
    private func points(_ s: Series, panel p: Int, range: (Double, Double)) -> [(Double, Double)] {
        let m = Self.margin
        let x0 = Double(p) * Self.panelWidth + m.left
        let w = Self.panelWidth - m.left - m.right
        let h = Self.height - m.top - m.bottom
        let n = max(s.values.count - 1, 1)
        let span = range.1 - range.0 == 0 ? 1 : range.1 - range.0
        return s.values.enumerated().map { i, v in
            (x0 + w * Double(i) / Double(n), m.top + h * (1 - (v - range.0) / span))
        }
    }

    private func range(_ series: [Series]) -> (Double, Double) {
        let all = series.flatMap(\.values).filter(\.isFinite)
        return (all.min() ?? 0, all.max() ?? 1)
    }

    /// A piece of text of the chart: the anchor point is on the text's baseline.
    struct Label {
        enum Anchor: String { case start, middle, end }
        let text: String
        let x: Double
        let y: Double
        let anchor: Anchor
        let color: (r: UInt8, g: UInt8, b: UInt8)
    }

    /// Titles, tick labels (value range, first and last epoch), axis name and legends.
    var labels: [Label] {
        let m = Self.margin
        let black: (UInt8, UInt8, UInt8) = (0, 0, 0)
        var labels: [Label] = []
        for (p, panel) in panels.enumerated() {
            let x0 = Double(p) * Self.panelWidth
            let r = range(panel.series)
            let epochs = panel.series.first?.values.count ?? 0
            let bottom = Self.height - m.bottom
            labels += [
                Label(text: panel.title, x: x0 + Self.panelWidth / 2, y: 18, anchor: .middle, color: black),
                Label(text: String(format: "%.3g", r.1), x: x0 + m.left - 4, y: m.top + 4, anchor: .end, color: black),
                Label(text: String(format: "%.3g", r.0), x: x0 + m.left - 4, y: bottom, anchor: .end, color: black),
                Label(text: "1", x: x0 + m.left, y: bottom + 14, anchor: .middle, color: black),
                Label(
                    text: String(epochs), x: x0 + Self.panelWidth - m.right, y: bottom + 14, anchor: .middle,
                    color: black),
                Label(text: "epoch", x: x0 + Self.panelWidth / 2, y: Self.height - 8, anchor: .middle, color: black),
            ]
            for (i, s) in panel.series.enumerated() {
                labels.append(
                    Label(
                        text: s.name, x: x0 + Self.panelWidth - m.right - 4, y: m.top + 16 + 14 * Double(i),
                        anchor: .end, color: s.color))
            }
        }
        return labels
    }

    /// The chart as an SVG document.
    func svg() -> String {
        let width = Self.panelWidth * Double(panels.count)
        var out = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(Self.height))\" font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
        ]
        let m = Self.margin
        for (p, panel) in panels.enumerated() {
            let x0 = Double(p) * Self.panelWidth
            let r = range(panel.series)
            out.append(
                "<rect x=\"\(x0 + m.left)\" y=\"\(m.top)\" width=\"\(Self.panelWidth - m.left - m.right)\" height=\"\(Self.height - m.top - m.bottom)\" fill=\"none\" stroke=\"#999\"/>"
            )
            for s in panel.series {
                let path = points(s, panel: p, range: r).map { String(format: "%.1f,%.1f", $0.0, $0.1) }
                out.append(
                    "<polyline fill=\"none\" stroke=\"\(s.hex)\" stroke-width=\"2\" points=\"\(path.joined(separator: " "))\"/>"
                )
            }
        }
        for label in labels {
            let color = String(format: "#%02x%02x%02x", label.color.r, label.color.g, label.color.b)
            out.append(
                "<text x=\"\(label.x)\" y=\"\(label.y)\" text-anchor=\"\(label.anchor.rawValue)\" fill=\"\(color)\">\(label.text)</text>"
            )
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }

    /// The chart as a PNG image, its text drawn with the built-in bitmap font.
    func png() -> Data {
        let width = Int(Self.panelWidth) * panels.count
        var image = RGBImage(width: width, height: Int(Self.height))
        let m = Self.margin
        for (p, panel) in panels.enumerated() {
            let x0 = Double(p) * Self.panelWidth
            image.rectangle(
                x0 + m.left, m.top, x0 + Self.panelWidth - m.right, Self.height - m.bottom, color: (153, 153, 153))
            let r = range(panel.series)
            for s in panel.series {
                let pts = points(s, panel: p, range: r)
                for (a, b) in zip(pts, pts.dropFirst()) { image.line(a, b, color: s.color, thickness: 2) }
            }
        }
        for label in labels { image.text(label) }
        return image.pngData()
    }
}

/// A 5×7 bitmap font for chart text: per glyph its character, then its 7 rows from the top, each
/// a base-32 digit whose 5 bits are the pixels from left to right. Letters are drawn upper-case;
/// characters without a glyph are blank.
private let bitmapFont: [Character: [UInt8]] = {
    let table = """
        0EHJLPHE 14C4444E 2EH1248V 3V2421HE 426AIV22 5VGU11HE 668GUHHE 7V124888 8EHHEHHE 9EHHF12C \
        AEHHHVHH BUHHUHHU CEHGGGHE DSIHHHIS EVGGUGGV FVGGUGGG GEHGNHHF HHHHVHHH IE44444E J72222IC \
        KHIKOKIH LGGGGGGV MHRLLHHH NHHPLJHH OEHHHHHE PUHHUGGG QEHHHLID RUHHUKIH SFGGE11U TV444444 \
        UHHHHHHE VHHHHHA4 WHHHLLLA XHHA4AHH YHHHA444 ZV1248GV .00000CC -000V000 +044V440 /01248G0 \
        :0CC0CC0 %OP248J3 ²CI48U00
        """
    let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUV")
    return Dictionary(
        uniqueKeysWithValues: table.split(separator: " ").map { entry in
            (entry.first!, entry.dropFirst().map { UInt8(digits.firstIndex(of: $0)!) })
        })
}()

/// A white RGB canvas with lines and text, encoded as PNG (stored deflate blocks: no compression library
/// needed, and every PNG reader accepts it).
struct RGBImage {
    let width: Int
    let height: Int
    private var pixels: [UInt8]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    mutating func plot(_ x: Int, _ y: Int, _ c: (r: UInt8, g: UInt8, b: UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r
        pixels[i + 1] = c.g
        pixels[i + 2] = c.b
    }

    mutating func line(
        _ a: (Double, Double), _ b: (Double, Double), color: (r: UInt8, g: UInt8, b: UInt8), thickness: Int = 1
    ) {
        let steps = max(Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up)), 1)
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            let x = Int((a.0 + (b.0 - a.0) * t).rounded())
            let y = Int((a.1 + (b.1 - a.1) * t).rounded())
            for dx in 0..<thickness { for dy in 0..<thickness { plot(x + dx, y + dy, color) } }
        }
    }

    mutating func rectangle(
        _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, color: (r: UInt8, g: UInt8, b: UInt8)
    ) {
        line((x0, y0), (x1, y0), color: color)
        line((x1, y0), (x1, y1), color: color)
        line((x1, y1), (x0, y1), color: color)
        line((x0, y1), (x0, y0), color: color)
    }

    /// Glyph cell of the bitmap font: 5×7 pixels and a column of spacing.
    static let glyphAdvance = 6
    static let glyphHeight = 7

    /// Draws a label with the bitmap font, its baseline at `label.y`.
    mutating func text(_ label: TrainingChart.Label) {
        let glyphs = label.text.uppercased().map { bitmapFont[$0] }
        let width = glyphs.count * Self.glyphAdvance - 1
        let left: Int
        switch label.anchor {
        case .start: left = Int(label.x.rounded())
        case .middle: left = Int((label.x - Double(width) / 2).rounded())
        case .end: left = Int(label.x.rounded()) - width
        }
        let top = Int(label.y.rounded()) - Self.glyphHeight + 1
        for (i, glyph) in glyphs.enumerated() {
            guard let glyph else { continue }
            for (row, bits) in glyph.enumerated() {
                for column in 0..<5 where bits & (16 >> column) != 0 {
                    plot(left + i * Self.glyphAdvance + column, top + row, label.color)
                }
            }
        }
    }

    func pngData() -> Data {
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)  // filter: none
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // 8-bit RGB
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", zlibStored(raw))
        png.appendChunk("IEND", [])
        return Data(png)
    }
}

/// A zlib stream of stored (uncompressed) deflate blocks.
private func zlibStored(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let n = min(65_535, data.count - offset)
        out.append(offset + n == data.count ? 1 : 0)
        out.append(UInt8(n & 0xFF))
        out.append(UInt8(n >> 8))
        out.append(UInt8(~n & 0xFF))
        out.append(UInt8((~n >> 8) & 0xFF))
        out.append(contentsOf: data[offset..<(offset + n)])
        offset += n
    } while offset < data.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in data {
        a = (a + UInt32(byte)) % 65_521
        b = (b + a) % 65_521
    }
    out.appendBigEndian(b << 16 | a)
    return out
}

private let crcTable: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ v: UInt32) {
        append(contentsOf: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    fileprivate mutating func appendChunk(_ type: String, _ body: [UInt8]) {
        appendBigEndian(UInt32(body.count))
        let typed = Array(type.utf8) + body
        append(contentsOf: typed)
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in typed { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        appendBigEndian(~crc)
    }
}
