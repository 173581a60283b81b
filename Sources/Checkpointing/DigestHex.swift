import Crypto

extension SHA256.Digest {
    /// Lower-case hexadecimal, 64 characters, as `sha256sum` prints it: the form in which
    /// `params_sha256`, `content_sha256` and `data.json` record a digest.
    ///
    /// ```swift
    /// SHA256.hash(data: Array("abc".utf8)).hex   // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    /// ```
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(2 * SHA256.byteCount)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
