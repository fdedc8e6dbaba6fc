// Random nonces for sealing, drawn from the kernel a page at a time.
#pragma once

#include <cstddef>

namespace autohost::store {

// Fills `out` with `size` (at most 256) unpredictable bytes. They come from a page of
// randombytes_buf output refilled when used up, instead of one getrandom call each (two
// a refresh in a token sweep: 5-13 % of the sweep's CPU on a VM where system calls are
// dear). The page is mapped MADV_WIPEONFORK, so a forked child finds it
// empty and draws its own: parent and child never hand out the same bytes. Where the
// kernel cannot wipe on fork, every call goes to randombytes_buf. Thread-safe.
void random_nonce(unsigned char *out, std::size_t size);

} // namespace autohost::store
