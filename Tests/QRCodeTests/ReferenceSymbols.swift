import QRCode

/// Symbols made by an independent encoder, python-qrcode 8.2, as a reference for whole matrices, each with a
/// fixed mask (encoders disagree on the penalty rule's fine print, so mask choice is tested separately):
/// `q = qrcode.QRCode(error_correction=level, mask_pattern=mask, border=0)`,
/// `q.add_data(QRData(text.encode(), mode=MODE_8BIT_BYTE))`, `q.make(fit=True)`, read from `q.modules`.
/// Each row is hexadecimal, most significant bit leftmost, padded with zero bits to whole digits.
enum ReferenceSymbols {
    struct Symbol: Sendable {
        let text: String
        let correction: QRCode.ErrorCorrection
        let version: Int
        let mask: Int
        let rows: [String]
    }

    static let all: [Symbol] = [
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 0,
            rows: [
                "fe23f8", "82da08", "ba5ae8", "ba22e8", "bacae8", "824a08", "feabf8", "007800", "aa3090", "4044d8",
                "668df8", "2dc008", "3ec9d8", "00d090", "fe57b8", "827c80", "baf300", "ba6390", "bae9e8", "824310",
                "fe8a18",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 1,
            rows: [
                "fef3f8", "820a08", "ba8ae8", "ba72e8", "ba1ae8", "829a08", "feabf8", "002800", "a36128", "151188",
                "33d8a8", "789558", "6b9c88", "0085c0", "fe82e8", "8229d0", "ba2650", "ba36c0", "babcb8", "821640",
                "fedf48",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 2,
            rows: [
                "fe43f8", "824208", "babae8", "babae8", "baaae8", "82d208", "feabf8", "00e000", "be53e0", "8558a8",
                "5e6e70", "e8dc78", "062a50", "00cce0", "fe3430", "82e0f0", "ba9088", "baffe0", "ba8a60", "825f60",
                "fee990",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 3,
            rows: [
                "fec3f8", "829a08", "ba52e8", "babae8", "ba72e8", "823a08", "feabf8", "00b800", "b73a58", "8558a8",
                "eab518", "31b1c8", "062a50", "009788", "fed980", "82e0f0", "ba4be0", "ba9250", "ba8a60", "820408",
                "fe8420",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 4,
            rows: [
                "fe83f8", "820208", "ba02e8", "ba82e8", "baeae8", "829208", "feabf8", "00d800", "8b97c8", "f49fb0",
                "d25690", "64e498", "77ed48", "008bf8", "fe8cd0", "825810", "bad790", "ba38f8", "ba3280", "826780",
                "feae88",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 5,
            rows: [
                "fe73f8", "828208", "babae8", "badae8", "ba2ae8", "821208", "feabf8", "00a000", "82d670", "bdbb20",
                "5e6e70", "f89d78", "6b9c88", "008de0", "fe3430", "820378", "ba1088", "ba3ee0", "ba3cb8", "821e60",
                "fee990",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 6,
            rows: [
                "fef3f8", "828208", "ba9ae8", "ba5ae8", "babae8", "822208", "feabf8", "002000", "9ff4b8", "bdbb20",
                "7afc38", "f4adb8", "6b9c88", "008bf8", "fe90a0", "828378", "ba82c0", "ba8e20", "ba3cb8", "821878",
                "fecd00",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .medium,
            version: 1,
            mask: 7,
            rows: [
                "fe23f8", "827a08", "ba4ae8", "ba22e8", "ba6ae8", "82da08", "feabf8", "005800", "96a500", "4044d8",
                "2fa968", "095240", "3ec9d8", "00f400", "fe45f0", "82fc80", "ba5790", "baf1d8", "ba69e8", "826780",
                "fe9850",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .low,
            version: 1,
            mask: 5,
            rows: [
                "fe0bf8", "822a08", "ba3ae8", "baaae8", "bacae8", "825208", "feabf8", "000000", "c710c0", "d43b20",
                "a7ae70", "25bd78", "823c88", "00ade0", "fe9430", "828378", "ba5088", "ba1ee0", "ba7cb8", "82be60",
                "fec990",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .quartile,
            version: 1,
            mask: 6,
            rows: [
                "fe63f8", "82da08", "ba62e8", "baa2e8", "baa2e8", "820a08", "feabf8", "00f000", "5e8ed0", "18db20",
                "f3c438", "4d95b8", "260488", "00a3f8", "fe08a0", "828b78", "ba92c0", "baee20", "ba3cb8", "829878",
                "fe0d00",
            ]
        ),
        Symbol(
            text: "Gatehouse",
            correction: .high,
            version: 2,
            mask: 1,
            rows: [
                "fe3fbf8", "82fe208", "bae2ae8", "babf2e8", "bab42e8", "8280208", "feaabf8", "0072800", "27c3df0",
                "55a4058", "4e9f8e8", "049cb50", "0a30958", "6066948", "f37ee28", "04b3c58", "f7aefc8", "00b38a0",
                "feafae8", "82c88d0", "ba47fd0", "ba431e0", "baf7a98", "821c740", "fe16488",
            ]
        ),
        Symbol(
            text: String(repeating: "Gatehouse QR reference. ", count: 6),
            correction: .low,
            version: 7,
            mask: 2,
            rows: [
                "fe5d105e4bf8", "829031a0d208", "ba4f315b52e8", "baadebc71ae8", "ba2a6f8e7ae8", "828fe8b64208",
                "feaaaaaaabf8", "001298dc8800", "fbaf6fc50550", "413095471c68", "0f85a9e56570", "90fcf17a8da0",
                "2691eb202410", "41ba649b0de8", "de086ba96670", "d954709eb078", "9af97ea77200", "1d25405e1938",
                "1b3f3db57b30", "89ab109ad9f0", "8f91af830fe0", "78ca08c79898", "4acfaa842ab0", "c8e308cbc8f0",
                "9fbfffc53f90", "b0691e570228", "8339a8306c70", "c8c8a8db9278", "26a4e46149f0", "1878575f1158",
                "577860316c50", "e47c71fe9678", "5a29e9b705d8", "38f51fdbdc20", "0b042c316d90", "78961c8f9320",
                "9a45ffc70f80", "009a18c798e8", "feefcae1eaf0", "827a188238e0", "baffefe36fc8", "bae811c641b0",
                "baf8e1b67a28", "82ad6e5ee4e0", "fef5f5815350",
            ]
        ),
        Symbol(
            text: "otpauth://totp/Gatehouse:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                + "&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30",
            correction: .quartile,
            version: 10,
            mask: 3,
            rows: [
                "fe7b91621ce73f8", "82e01152e5f1208", "baeb49cb811b2e8", "ba15b6417a412e8", "ba2de8fe4b852e8",
                "823cbba33eba208", "feaaaaaaaaaabf8", "00015ee2525e000", "762b757e59f1830", "fdc0fbb28173cf0",
                "8b535310ce085d8", "647a12463a0f148", "fbfc5fe07e31470", "4433e78286dd250", "9e74993952bdfc0",
                "3d08953665a8570", "27c75273061d230", "08e3eb0ee5db098", "165f7fe17e13d50", "3c1609df0e9e188",
                "fbd9c12e9184c80", "f93272821d61c40", "fe00f5cf2522e00", "58dca6fab6e8610", "5ad737a39a84040",
                "0d2407d60eb4710", "3ff710fee51fff0", "d891876208dd8e0", "dadaa4ea643faf8", "18ebdaa3f18e8c0",
                "4fa3907ff699ff0", "b4bd88cfbae0918", "def02432b7c4ca8", "252727520cf0c28", "0b0ed86fb16bb58",
                "48d08ddaa9487c8", "debe9f6bea60710", "715a610e570d168", "b70bfd766238340", "7cc2fa17fe25138",
                "a78bde8ad1552a8", "d1f6cb55b2dbd80", "7aea9457a9f8530", "0dabf0a27f84990", "2324284d75a2810",
                "84a1ee9a8cf9468", "a7347923147a658", "f9ef541a5878a40", "0300c23e1826f80", "00db4ae3839d8f0",
                "fe3db8eb4aa0a80", "8299c222e4b28f0", "ba30a5ffc33dfc8", "bac1ead8f512310", "bad6d837fec3a40",
                "8287a2cce3497c8", "fe38b38696c2760",
            ]
        ),
        Symbol(
            text: String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4),
            correction: .high,
            version: 14,
            mask: 4,
            rows: [
                "fe67a8819665e022bf8", "8293a2a9a7449c4e208", "ba6a9639039505e82e8", "ba03cbf10c919cdb2e8",
                "ba759cfd43bff101ae8", "82d3ab8eb738d3ea208", "feaaaaaaaaaaaaaabf8", "00a7098c35a8abe9000",
                "0f1744fc2d3fabebb10", "1dacb45db49a71acb98", "9f2127cacce362170f0", "60047d3836689921f40",
                "62b1e5db9565eb67c68", "85d952ce09a16336600", "c2ad2728e8b9f81e0d0", "1da72f5fd5626dc9220",
                "b2b453914c6d438dd78", "6511b18d548b7b0ebf0", "8a96b914cb9163979a0", "ad0ae06452a287e5738",
                "13a060e7bc374589a60", "dd92db861637c1ae600", "2611f843d8695064ce0", "051a62e98fcf45c8928",
                "dfa61afd730f8b83fa8", "f881958e9428faaf8a0", "caa487a9afbac287ae0", "689bd98bcb08c4c98b0",
                "3fd3a7f84a7f89eafa8", "8833f721177b418c6c0", "26bde4f1781cf215500", "307e612669cd65ec8b8",
                "ae15b5490aeb61ab9b8", "55004fa14f8151b7480", "965e67c6ea12c9972e0", "0c4ae79702cc85ca9b0",
                "12fcf7075d9341ae4a8", "148e7b9d0e92c28ca30", "7f1613b28695fb19bc0", "f1f94ed3da63416a4b0",
                "c2af415962636d4c9e8", "a16e9d709b09f8adb10", "d6500fd0882a5b141a0", "d0de576788de07fc8a0",
                "ffb97ffe264fc719fe8", "8885da8e8d18e0168c0", "eaa105aaec1ae905ad0", "d8926589e13885658a8",
                "3fbbe1fc053fe3a1fa8", "88339aa22e22608ddd0", "b7e6c6e746529287d20", "c0121c4fe4b747afd28",
                "53a0bbf10ae00b6ef70", "91c1323cf0602a0dcc0", "9b61f773bceb233dc60", "f9fc996e734647e8db0",
                "9f44c2fff7836544638", "2d82cbfdef63d3150a0", "d62655257c137a0f010", "19f11673bf7b8c9c660",
                "97fe37296fbee6a8f38", "ec4004d2cdf17a2d8c0", "d6adc88afd5d6917ca0", "1839ce66284045cbc20",
                "8b305ef82e1fe58afb8", "00a4348aa208e90e880", "fef183a8dbfaf80cae0", "82cdbc897c58c1ad8b0",
                "bae38efe7d6f8588fa8", "ba20d98ba0c4a61c6e8", "ba6dcff4d1e6be07750", "82467cf8a9fd0525610",
                "fe4b73cce0f86fe3698",
            ]
        ),
    ]
}
