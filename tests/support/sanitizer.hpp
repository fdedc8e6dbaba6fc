// Whether this test is built with AddressSanitizer (GCC's macro, clang's feature test), for
// tests that take fewer steps there: every process start and plugin load costs far more.
#pragma once

namespace autohost::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool address_sanitizer = true;
#else
inline constexpr bool address_sanitizer = false;
#endif
#else
inline constexpr bool address_sanitizer = false;
#endif

} // namespace autohost::test
