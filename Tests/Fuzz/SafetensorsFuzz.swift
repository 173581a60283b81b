// libFuzzer target: the safetensors reader (length field, JSON header decoding and layout scan,
// header checks, data tiling) and the digest check, on arbitrary bytes. Built by launch/fuzz.sh together with
// Sources/Checkpointing (same module, so internal parsers are reachable); not a SwiftPM target.
//
// Properties checked on every input, beyond "no trap, no sanitizer report":
// - a refusal is a CheckpointError whose description is one line and names the source;
// - an accepted file re-encodes to bytes that decode to the same tensors and metadata (round trip).
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func safetensorsFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The header's layout scan alone, on the same bytes (which are rarely JSON): it must return, never trap.
    _ = JSONTextLayout(scanning: bytes)
    let archive: SafetensorsArchive
    do {
        archive = try SafetensorsArchive(bytes: bytes, source: "fuzz")
    } catch let error as CheckpointError {
        check(error.description.hasPrefix("fuzz: "), "error does not name the source: \(error)")
        check(!error.description.contains("\n") && !error.description.contains("\r"), "error is not one line: \(error)")
        return 0
    } catch {
        fatalError("not a CheckpointError: \(error)")
    }
    // Verification on a file that parsed: throws or passes, never traps.
    _ = try? archive.verifyDigests(source: "fuzz")
    _ = archive.specs.map(\.description)
    // Round trip: what was accepted re-encodes (names are unique and not reserved) and reads back the same.
    guard let again = try? archive.encoded() else { fatalError("an accepted archive does not re-encode") }
    guard let back = try? SafetensorsArchive(bytes: again, source: "fuzz") else { fatalError("a re-encoded archive does not decode") }
    check(back.metadata == archive.metadata && back.names == archive.names, "round trip changed the header")
    for ((_, a), (_, b)) in zip(archive.tensors, back.tensors) {
        check(a.shape == b.shape && a.dtype == b.dtype && memcmp(a.rawPointer, b.rawPointer, a.byteCount) == 0, "round trip changed data")
    }
    return 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
