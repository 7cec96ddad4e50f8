/// HTML escaping for text placed in markup (element content or a quoted attribute value).
///
/// The one escaper for mail bodies (hub) and the media server's pages; Mustache templates escape on their own.
public enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities.
    public static func escape(_ text: String) -> String {
        // Most text has nothing to escape: check the bytes first (this runs for every mail of an incident).
        if !text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) {
            return text
        }
        // Byte by byte, not by Character: a combining mark after `"` or `<` makes one grapheme cluster that is not
        // equal to `"`, yet a browser's tokenizer still sees the quote (and would leave the attribute).
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        for byte in text.utf8 {
            switch byte {
            case 0x26: out += "&amp;".utf8
            case 0x3C: out += "&lt;".utf8
            case 0x3E: out += "&gt;".utf8
            case 0x22: out += "&quot;".utf8
            case 0x27: out += "&#39;".utf8
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
