// Wiping decrypted secret text the host holds in ordinary memory once it has been handed on.
#pragma once

#include <sodium.h>

#include <string>

namespace autohost::host {

// Overwrites all of `text`'s buffer (its capacity: a shorter value may sit on the bytes of
// a longer one) with zeros that the compiler cannot drop, then empties it.
inline void wipe(std::string &text) noexcept {
  text.resize(text.capacity());
  sodium_memzero(text.data(), text.size());
  text.clear();
}

// Wipes `text` when the scope ends, however it ends.
class WipeOnExit {
public:
  explicit WipeOnExit(std::string &text) noexcept : text_(text) {}
  WipeOnExit(const WipeOnExit &) = delete;
  WipeOnExit &operator=(const WipeOnExit &) = delete;
  ~WipeOnExit() { wipe(text_); }

private:
  std::string &text_;
};

} // namespace autohost::host
