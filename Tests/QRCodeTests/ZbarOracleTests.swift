import Foundation
import Testing

@testable import QRCode

/// Must show: every PNG we make decodes with zbarimg to exactly its input.
@Suite struct ZbarOracleTests {
    @Test func everyPNGDecodesToItsInputWithZbarimg() async throws {
        guard let zbarimg = ExternalTool.find("zbarimg") else {
            Issue.record("zbarimg is not on PATH: install Debian's zbar-tools (apt-get install zbar-tools)")
            return
        }
        let cases = OracleCase.all()
        #expect(cases.count >= 200)
        #expect(Set(cases.compactMap(\.expectedVersion)) == Set(QRCode.versions))

        let results = try await decodeAll(cases, with: zbarimg, concurrently: 4)
        var failures = 0
        for (index, outcome) in results.enumerated() {
            let (code, result) = outcome
            let oracleCase = cases[index]
            if let expected = oracleCase.expectedVersion {
                #expect(code.version == expected, "case \(index): \(oracleCase)")
            }
            // zbarimg ends its output with one newline; everything before it must be the input, byte for byte.
            let expected = Array(oracleCase.text.utf8) + [0x0A]
            if result.status != 0 || result.output != expected {
                failures += 1
                Issue.record(
                    """
                    case \(index) (\(oracleCase), mask \(code.mask)): zbarimg exit \(result.status), \
                    output \(String(decoding: result.output, as: UTF8.self).debugDescription), \
                    errors \(result.errors.debugDescription)
                    """
                )
            }
        }
        #expect(failures == 0)
    }

    private func decodeAll(
        _ cases: [OracleCase],
        with zbarimg: URL,
        concurrently width: Int
    ) async throws -> [(QRCode, ExternalTool.Result)] {
        try await withThrowingTaskGroup(of: (Int, QRCode, ExternalTool.Result).self) { group in
            var results: [(QRCode, ExternalTool.Result)?] = Array(repeating: nil, count: cases.count)
            var next = 0
            func startNext() {
                guard next < cases.count else { return }
                let index = next
                let oracleCase = cases[index]
                next += 1
                group.addTask {
                    let code = try QRCode(text: oracleCase.text, correction: oracleCase.correction)
                    // Scales 2 to 4: the smallest allowed, and the sizes a web page or CLI would use.
                    let png = code.png(scale: 2 + index % 3)
                    let result = try await ExternalTool.zbarDecode(png: png, zbarimg: zbarimg)
                    return (index, code, result)
                }
            }
            for _ in 0..<width {
                startNext()
            }
            while let (index, code, result) = try await group.next() {
                results[index] = (code, result)
                startNext()
            }
            return results.compactMap { $0 }
        }
    }

    /// The SVG as a browser draws it: Chromium renders it headless to a screenshot, which zbarimg decodes.
    @Test(arguments: [
        ("otpauth://totp/Gatehouse:alice?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse", QRCode.ErrorCorrection.medium),
        (String(repeating: "Gatehouse SVG ", count: 20), .quartile),
    ])
    func svgRenderedByChromiumDecodesToItsInput(text: String, correction: QRCode.ErrorCorrection) async throws {
        guard let zbarimg = ExternalTool.find("zbarimg") else {
            Issue.record("zbarimg is not on PATH: install Debian's zbar-tools (apt-get install zbar-tools)")
            return
        }
        guard let chromium = ExternalTool.find("chromium") ?? ExternalTool.find("chromium-browser") else {
            Issue.record("chromium is not on PATH: install Debian's chromium to render the SVG")
            return
        }
        let code = try QRCode(text: text, correction: correction)
        let moduleSize = 4
        let side = (code.size + 2 * QRCode.quietZone) * moduleSize
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrcode-svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("code.svg")
        let screenshot = folder.appendingPathComponent("code.png")
        try Data(code.svg(moduleSize: moduleSize).utf8).write(to: svg)
        let render = try await ExternalTool.run(
            chromium,
            arguments: [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                "--window-size=\(side + 40),\(side + 40)", "--screenshot=\(screenshot.path)", svg.absoluteString,
            ]
        )
        #expect(render.status == 0, "chromium: \(render.errors)")
        let png = try Array(Data(contentsOf: screenshot))
        let result = try await ExternalTool.zbarDecode(png: png, zbarimg: zbarimg)
        #expect(result.status == 0, "zbarimg: \(result.errors)")
        #expect(result.output == Array(text.utf8) + [0x0A])
    }
}
