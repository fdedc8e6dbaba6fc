// Sealing's nonces: never repeated, across refills of the nonce pool, threads and fork().
#define BOOST_TEST_MODULE sealing
#include <boost/test/unit_test.hpp>

#include "store/nonce_pool.hpp"
#include "store/sealing.hpp"

#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace autohost::store;

namespace {

constexpr std::size_t nonce_size = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

MasterKey test_key() {
  MasterKey key;
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string nonce_of(const std::string &sealed) { return sealed.substr(0, nonce_size); }

// The nonces of `count` seals made now by this process.
std::vector<std::string> nonces(const MasterKey &key, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i)
    out.push_back(nonce_of(seal(key, "value", "key")));
  return out;
}

// The child's exit status, or -1 if it has not exited within `limit` (it is killed then).
int wait_for(pid_t child, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_seal_has_a_nonce_of_its_own_across_many_refills) {
  BOOST_REQUIRE(sodium_ready());
  BOOST_REQUIRE(nonce_pool_active()); // else the cases below test libsodium alone
  const MasterKey key = test_key();
  // A page of the pool holds about 170 nonces: 5,000 seals refill it many times.
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) {
    const std::string sealed = seal(key, "value " + std::to_string(i), "key");
    BOOST_TEST(open_sealed(key, sealed, "key").value_or("") == "value " + std::to_string(i));
    seen.insert(nonce_of(sealed));
  }
  BOOST_TEST(seen.size() == 5000u);
  BOOST_TEST(seen.count(std::string(nonce_size, '\0')) == 0u);
}

BOOST_AUTO_TEST_CASE(threads_sealing_at_once_never_share_a_nonce) {
  BOOST_REQUIRE(sodium_ready());
  const MasterKey key = test_key();
  std::mutex mutex;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      const std::vector<std::string> mine = nonces(key, 2000);
      const std::lock_guard lock(mutex);
      seen.insert(mine.begin(), mine.end());
    });
  }
  for (auto &thread : threads)
    thread.join();
  BOOST_TEST(seen.size() == 8000u);
}

BOOST_AUTO_TEST_CASE(a_forked_child_never_draws_the_nonces_its_parent_draws) {
  BOOST_REQUIRE(sodium_ready());
  const MasterKey key = test_key();
  nonces(key, 3); // the pool holds unused bytes when the process forks
  int pipe_fds[2];
  BOOST_REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string all;
    for (const std::string &nonce : nonces(key, 400))
      all += nonce;
    const bool written =
        ::write(pipe_fds[1], all.data(), all.size()) == static_cast<ssize_t>(all.size());
    ::_exit(written ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  const std::vector<std::string> parent = nonces(key, 400);
  std::string from_child;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    from_child.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  BOOST_REQUIRE(from_child.size() == 400 * nonce_size);

  std::set<std::string> seen(parent.begin(), parent.end());
  for (std::size_t at = 0; at < from_child.size(); at += nonce_size)
    seen.insert(from_child.substr(at, nonce_size));
  BOOST_TEST(seen.size() == 800u); // no nonce of the child is one of the parent's
}

// A child forked while another thread of its parent is drawing nonces (perhaps holding the
// pool's lock at that instant) can still seal: the lock lives in the page the fork wipes.
BOOST_AUTO_TEST_CASE(a_child_forked_while_another_thread_draws_can_still_seal) {
  BOOST_REQUIRE(sodium_ready());
  const MasterKey key = test_key();
  std::atomic<bool> stop{false};
  std::thread drawing([&] {
    unsigned char nonce[nonce_size];
    while (!stop.load(std::memory_order_relaxed))
      random_nonce(nonce, sizeof nonce);
  });
  int hung = 0;
  for (int i = 0; i < 50; ++i) {
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
      const std::string sealed = seal(key, "value", "key");
      ::_exit(open_sealed(key, sealed, "key") == std::optional<std::string>("value") ? 0 : 1);
    }
    const int status = wait_for(child, std::chrono::seconds(5));
    BOOST_TEST(status != 1, "a child's seal did not open");
    hung += status == -1 ? 1 : 0;
  }
  stop = true;
  drawing.join();
  BOOST_TEST(hung == 0, hung << " of 50 children hung on their first seal");
}

BOOST_AUTO_TEST_CASE(a_request_larger_than_the_pool_serves_still_gets_random_bytes) {
  BOOST_REQUIRE(sodium_ready());
  std::string a(1000, '\0');
  std::string b(1000, '\0');
  random_nonce(reinterpret_cast<unsigned char *>(a.data()), a.size());
  random_nonce(reinterpret_cast<unsigned char *>(b.data()), b.size());
  BOOST_TEST(a != b);
  BOOST_TEST(a != std::string(1000, '\0'));
}
