// Guarded memory for the master key: locked, left out of core dumps, unmapped when freed.
#define BOOST_TEST_MODULE secure_buffer
#include <boost/test/unit_test.hpp>

#include "store/sealing.hpp"
#include "store/secure_buffer.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

using namespace autohost::store;

namespace {

// The VmFlags of the mapping of this process that holds `address` ("" when none does).
std::string vm_flags_at(const void *address) {
  const auto where = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t from = 0, to = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> from >> dash >> to && dash == '-') {
      inside = from <= where && where < to;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

bool has_flag(const std::string &flags, const std::string &flag) {
  return (flags + " ").find(" " + flag + " ") != std::string::npos;
}

} // namespace

// A core dump of the daemon must not hold the master key, and it must never reach swap.
BOOST_AUTO_TEST_CASE(the_master_key_is_locked_and_left_out_of_core_dumps) {
  BOOST_REQUIRE(sodium_ready());
  const void *where = nullptr;
  {
    MasterKey key;
    where = key.data();
    const std::string flags = vm_flags_at(where);
    BOOST_REQUIRE_MESSAGE(!flags.empty(), "no mapping holds the key");
    BOOST_TEST(has_flag(flags, "dd"), "not excluded from core dumps: " << flags);
#if !defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's mlock interceptor does nothing, so only a plain build can see the lock.
    BOOST_TEST(has_flag(flags, "lo"), "not locked in memory: " << flags);
#endif
  }
  // Freed: wiped and unmapped, so nothing can read it afterwards.
  BOOST_TEST(vm_flags_at(where).empty());
}

BOOST_AUTO_TEST_CASE(a_buffer_moves_without_copying_and_shrinks_by_wiping) {
  SecureBuffer buffer(8);
  for (unsigned char i = 0; i < 8; ++i)
    buffer.data()[i] = static_cast<unsigned char>('a' + i);
  const unsigned char *bytes = buffer.data();
  SecureBuffer moved(std::move(buffer));
  BOOST_TEST(moved.data() == bytes);
  BOOST_TEST(buffer.size() == 0u);
  moved.shrink(3);
  BOOST_TEST(moved.view() == "abc");
  BOOST_TEST(bytes[3] == 0);
  BOOST_TEST(bytes[7] == 0);
}
