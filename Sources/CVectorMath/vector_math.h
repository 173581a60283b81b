// Vector operations that Swift's SIMD types lower to a scalar libm call per lane: Swift's
// `squareRoot()` is glibc's `sqrtf`, which LLVM may not vectorise (it can set errno), so
// `SIMD8<Float>.squareRoot()` became eight `sqrtf` calls — most of Adam's float32 update. Clang's
// elementwise builtins are LLVM's intrinsics: one `vsqrtps`, correctly rounded as `sqrtf` is, so the
// same bits. A header only (static inline); Swift sees `lockstep_float8` as `SIMD8<Float>`.
#ifndef LOCKSTEP_VECTOR_MATH_H
#define LOCKSTEP_VECTOR_MATH_H

typedef float lockstep_float8 __attribute__((ext_vector_type(8)));

/// The correctly rounded square root of each lane.
static inline __attribute__((always_inline)) lockstep_float8 lockstep_sqrt8(lockstep_float8 x) {
    return __builtin_elementwise_sqrt(x);
}

#endif
