import GatehouseBasics
import Testing

@Suite("HTML escaping")
struct HTMLTests {
    @Test("the five markup characters become entities; other text is unchanged")
    func escapes() {
        #expect(
            HTML.escape(#"<a href="x">Tom & 'Jerry'</a>"#)
                == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(HTML.escape("plain text, ünïcödé 🎬") == "plain text, ünïcödé 🎬")
        #expect(HTML.escape("") == "")
        #expect(HTML.escape("&amp;") == "&amp;amp;")
        // A combining mark after a double quote makes one Character that is not the quote; the quote must still be
        // escaped, or a file name with a quote and a combining mark would leave the attribute it is placed in.
        #expect(HTML.escape("x\"\u{301} onerror=alert(1)") == "x&quot;\u{301} onerror=alert(1)")
        #expect(HTML.escape("<\u{301}script>") == "&lt;\u{301}script&gt;")
    }
}
