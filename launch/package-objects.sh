# Sourced by launch/fuzz.sh and launch/verify-cost.sh, which compile a harness with swiftc outside
# SwiftPM: `package_objects CONFIG` builds the Checkpointing target with SwiftPM (CONFIG: debug or
# release), so swift-crypto and swift-system are built as the package builds them, and sets
#   package_bin      SwiftPM's output folder for CONFIG (its Modules/ holds every module built)
#   package_flags    what swiftc needs to import Crypto and SystemPackage (their modules and the
#                    module map of swift-system's C part)
#   package_objects  the object files of swift-crypto and swift-system, with the C++ runtime that
#                    BoringSSL's few C++ files need
# Lockstep's own targets are not included: the harnesses compile those themselves or add them.
# Returns non-zero if the build fails (SwiftPM's output goes to standard output).
package_objects() {
    swift build -c "$1" --target Checkpointing || return 1
    package_bin=$(swift build -c "$1" --show-bin-path)
    package_flags="-I $package_bin/Modules -I .build/checkouts/swift-system/Sources/CSystem/include"
    package_objects=$(for target in Crypto CryptoBoringWrapper CCryptoBoringSSL CCryptoBoringSSLShims CXKCP CXKCPShims \
                                    SystemPackage CSystem; do
        find "$package_bin/$target.build" -name '*.o'
    done | tr '\n' ' ')" -lstdc++"
}
