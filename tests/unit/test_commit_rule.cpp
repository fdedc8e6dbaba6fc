// When the refresh sweep stores its answers (jobs/commit_rule.hpp): large commits from a fast
// server, no answer kept long from its commit by a slow one.
#define BOOST_TEST_MODULE commit_rule
#include <boost/test/unit_test.hpp>

#include "jobs/commit_rule.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

using threads::jobs::CommitRule;
using namespace std::chrono_literals;

namespace {

// Feeds answers that come `gap` apart to `rule`, as the sweep does (the waiting ones are
// stored when the rule says so); returns how many each commit stored, and the longest wait
// of an answer for its commit.
struct Fed {
  std::vector<std::size_t> commits;
  CommitRule::Clock::duration longest_wait{};
};

Fed feed(CommitRule &rule, std::size_t answers, CommitRule::Clock::duration gap) {
  Fed fed;
  std::vector<CommitRule::Clock::time_point> waiting;
  CommitRule::Clock::time_point now{};
  for (std::size_t i = 0; i < answers; ++i) {
    now += gap;
    waiting.push_back(now);
    if (rule.store_now(waiting.size(), now)) {
      fed.commits.push_back(waiting.size());
      fed.longest_wait = std::max(fed.longest_wait, now - waiting.front());
      waiting.clear();
    }
  }
  return fed;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_fast_server_fills_commits_up_to_the_most) {
  CommitRule rule(256, 25ms);
  const Fed fed = feed(rule, 1024, 50us); // 20,000 answers a second
  BOOST_TEST(fed.commits == (std::vector<std::size_t>{256, 256, 256, 256}), fed.commits.size()
                                                                                << " commits");
}

BOOST_AUTO_TEST_CASE(a_slow_server_keeps_no_answer_long_from_its_commit) {
  CommitRule rule(256, 25ms);
  const Fed fed = feed(rule, 40, 10ms); // 100 answers a second
  // The first of each commit waited 30 ms: the wait, rounded up to the next answer.
  BOOST_TEST(fed.commits == std::vector<std::size_t>(10, 4), fed.commits.size() << " commits");
  BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(fed.longest_wait).count() == 30);
}

BOOST_AUTO_TEST_CASE(each_commit_starts_the_wait_again) {
  CommitRule rule(3, 25ms);
  CommitRule::Clock::time_point t{};
  BOOST_TEST(!rule.store_now(1, t));
  BOOST_TEST(!rule.store_now(2, t + 1ms));
  BOOST_TEST(rule.store_now(3, t + 2ms)); // the most
  // Stored: the next answer is the first of a new commit, though the old first is 30 ms old.
  BOOST_TEST(!rule.store_now(1, t + 30ms));
  BOOST_TEST(!rule.store_now(2, t + 54ms));
  BOOST_TEST(rule.store_now(2, t + 55ms)); // its first has waited 25 ms
}
