import Foundation
import Testing

@testable import EmberCLI

/// A PNG written by `RGBImage`, decoded with every check a reader makes: signature, chunk CRCs,
/// IHDR, the zlib stream (stored blocks, Adler-32) and the per-row filter bytes.
private struct DecodedPNG {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        func be32(_ i: Int) -> Int { bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        try #require(bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var offset = 8
        var chunks: [(type: String, body: [UInt8])] = []
        while offset < bytes.count {
            let length = be32(offset)
            let typed = Array(bytes[(offset + 4)..<(offset + 8 + length)])
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in typed {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            try #require(UInt32(be32(offset + 8 + length)) == ~crc, "CRC of chunk at \(offset)")
            chunks.append((String(decoding: typed.prefix(4), as: UTF8.self), Array(typed.dropFirst(4))))
            offset += 12 + length
        }
        try #require(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        let header = chunks[0].body
        width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        try #require(Array(header[8...]) == [8, 2, 0, 0, 0])  // 8-bit RGB, no interlace

        let stream = chunks[1].body
        try #require(stream[0] == 0x78 && (Int(stream[0]) << 8 | Int(stream[1])) % 31 == 0)
        var raw: [UInt8] = []
        var i = 2
        var last = false
        while !last {
            last = stream[i] & 1 == 1
            try #require(stream[i] >> 1 == 0, "stored block")
            let n = Int(stream[i + 1]) | Int(stream[i + 2]) << 8
            try #require(n ^ (Int(stream[i + 3]) | Int(stream[i + 4]) << 8) == 0xFFFF)
            raw += stream[(i + 5)..<(i + 5 + n)]
            i += 5 + n
        }
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        try #require(stream[i..<(i + 4)].reduce(0) { $0 << 8 | UInt32($1) } == b << 16 | a)
        try #require(raw.count == height * (1 + 3 * width))
        let stride = 1 + 3 * width
        var pixels: [UInt8] = []
        for row in 0..<height {
            let start = row * stride
            try #require(raw[start] == 0)
            pixels += raw[(start + 1)..<(start + stride)]
        }
        self.pixels = pixels
    }

    func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(pixels[(3 * (y * width + x))..<(3 * (y * width + x) + 3)]) }
}

@Suite struct ChartTests {
    private let metrics = (1...4).map { e in
        EpochMetrics(
            epoch: e, trainLoss: 2 / Double(e), valLoss: 2.5 / Double(e), valAccuracy: 0.5 + 0.1 * Double(e),
            learningRate: 0.001, seconds: 1)
    }

    @Test func pngDecodesAndDrawsTheTextTheSVGHas() throws {
        let chart = TrainingChart(metrics)
        let png = try DecodedPNG(chart.png())
        #expect(png.width == 840 && png.height == 300)
        let labels = chart.labels
        #expect(
            labels.map(\.text) == [
                "Loss", "2.5", "0.5", "1", "4", "epoch", "train loss", "val loss", "Validation accuracy", "0.9",
                "0.6", "1", "4", "epoch", "val accuracy",
            ])
        let svg = chart.svg()
        for label in labels { #expect(svg.contains(">\(label.text)</text>")) }

        // "Loss" is centred on its anchor: its "L" is the left column and the bottom row of a 5×7 cell.
        let title = labels[0]
        let left = Int((title.x - Double(4 * 6 - 1) / 2).rounded())
        let top = Int(title.y) - 6
        for row in 0..<7 {
            for column in 0..<5 {
                let ink = column == 0 || row == 6
                #expect(
                    png.pixel(left + column, top + row) == (ink ? [0, 0, 0] : [255, 255, 255]), "\(column),\(row)")
            }
        }
        // Legends are drawn in their series' colour, right-aligned on the anchor.
        let legend = labels[6]
        let legendPixels = (0..<7).flatMap { row in
            (0..<(6 * legend.text.count)).map { png.pixel(Int(legend.x) - $0, Int(legend.y) - row) }
        }
        #expect(legendPixels.contains([legend.color.r, legend.color.g, legend.color.b]))
        // Every label leaves ink inside its box; the area between the two panels' titles stays white.
        for label in labels {
            let width = 6 * label.text.count
            let x0 =
                switch label.anchor {
                case .start: Int(label.x)
                case .middle: Int(label.x) - width / 2
                case .end: Int(label.x) - width
                }
            let box = (0..<7).flatMap { row in (0...width).map { png.pixel(x0 + $0, Int(label.y) - row) } }
            #expect(box.contains { $0 != [255, 255, 255] }, "\(label.text)")
        }
        #expect((0..<20).allSatisfy { png.pixel(420 + $0, 12) == [255, 255, 255] })
    }
}
