import Crypto
import Testing
import TensorCore
@testable import Checkpointing

/// What is ours around swift-crypto's SHA-256: the hex form every digest is recorded in, and feeding
/// a tensor's bytes. The hash itself is swift-crypto's, tested there.
struct SHA256Tests {
    // FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf"): lower-case hex, as sha256sum prints.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func nistVectorsInHex(message: String, digest: String) {
        #expect(SHA256.hash(data: Array(message.utf8)).hex == digest)
    }

    @Test func tensorBytes() {
        // 1.0f is 0x3f800000, little-endian 00 00 80 3f.
        var hasher = SHA256()
        hasher.update(tensor: float32Tensor([1, 1], shape: [2]))
        #expect(hasher.finalize() == SHA256.hash(data: [0, 0, 0x80, 0x3f, 0, 0, 0x80, 0x3f] as [UInt8]))
    }
}
