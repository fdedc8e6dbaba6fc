// Random nonces for sealing, drawn from the kernel a page at a time.
#pragma once

#include <cstddef>

namespace autohost::store {

// Fills `out` with `size` unpredictable bytes. Requests up to a nonce's size come from a
// page of getrandom(2) output refilled when used up, one system call for about 170 sealing
// nonces instead of one each; larger ones go to libsodium's randombytes_buf. The page is
// mapped MADV_WIPEONFORK and holds its own lock, so a forked child finds it empty and
// unlocked and draws its own bytes: a parent and its child never hand out the same ones.
// Where the kernel cannot wipe on fork, every request goes to randombytes_buf.
// Thread-safe; not async-signal-safe. It assumes the process's memory is not cloned other
// than by fork (a VM restored twice from one snapshot would repeat what is left of the
// page, as it would any user-space generator's state).
void random_nonce(unsigned char *out, std::size_t size);

// Whether requests are served from the page (false: the fallback above). For tests.
bool nonce_pool_active();

} // namespace autohost::store
