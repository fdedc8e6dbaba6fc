// Exactly-once publishing, proven (issue 5, section 4): `autohost run` works through a
// calendar of text, image and video posts against the sandbox and is killed with SIGKILL
// at random points at least 100 times - at random moments, while containers are polled,
// and right after a publish request went out (publish answers are also stalled, reset or
// turned into errors after the post was made) - and restarted each time with a short
// lease, on a sandbox that does not deduplicate publishing for the plugin. At the end every
// post exists exactly once in the sandbox and none is missing.
#define BOOST_TEST_MODULE daemon_kill
#include "daemon_world.hpp"

#include <random>

using namespace daemon_test;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

constexpr int posts = 60;
constexpr int kills = 100;

std::string post_text(int i) { return "calendar post " + std::to_string(i); }

// 60 posts due a second apart from a few seconds from now, so that work keeps coming
// while the daemons are killed: two text posts, two images and a video in every five.
std::string calendar() {
  json::array entries;
  for (int i = 0; i < posts; ++i) {
    json::object input{{"text", post_text(i)}};
    const int kind = i % 5;
    if (kind == 2 || kind == 3) {
      input["media"] = json::array{json::object{
          {"type", "image"}, {"url", "https://cdn.example/" + std::to_string(i) + ".jpg"}}};
    } else if (kind == 4) {
      input["media"] = json::array{json::object{
          {"type", "video"}, {"url", "https://cdn.example/" + std::to_string(i) + ".mp4"}}};
    }
    entries.push_back(json::object{
        {"id", "post-" + std::to_string(i)}, {"at", utc_in(3 + i)}, {"input", std::move(input)}});
  }
  return json::serialize(
      json::object{{"account", "alice"}, {"max_lateness", "6h"}, {"posts", std::move(entries)}});
}

// How a round picks the moment of its kill.
enum class KillAt { random_moment, while_polling, after_publish };

std::size_t count_of(const std::string &text, const std::string &needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

std::int64_t requests(const char *group) {
  return control("GET", "/__sandbox/stats").at("requests").at(group).as_int64();
}

// Waits until the sandbox has seen more `group` requests than `before` (or `bound` passed).
void wait_for_request(const char *group, std::int64_t before, std::chrono::milliseconds bound) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until && requests(group) <= before)
    std::this_thread::sleep_for(5ms);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(sigkill_at_random_points_never_loses_or_doubles_a_post, Cli) {
  write_config(fast_polling); // the fixture reset the sandbox; containers are polled fast
  // The sandbox deduplicates nothing: a published container published again makes a second
  // post, and containers live 4 s, so many a killed run resumes to an EXPIRED container
  // whatever it had done with it.
  control("POST", "/__sandbox/config",
          R"({"container_delay_s":{"TEXT":0.3,"IMAGE":0.8,"VIDEO":1.5},"no_server_dedup":true,
              "container_life_s":4})");
  import("alice", issue());
  TempDir files;
  std::ofstream(files / "calendar.json") << calendar();
  auto imported = cli({"schedule", "import", (files / "calendar.json").string()});
  BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);

  std::mt19937 random(std::random_device{}());
  // A 1 s lease (runs of a killed daemon are resumed 1-2 s later); attempts are not
  // limited, because this test kills far more often than a real deployment ever would, and
  // nor is the wait of a retry without a hint, which doubles with every attempt (a run
  // resumed ten times would otherwise wait up to an hour for its next try).
  const std::vector<std::string> args = {"--workers",         "4",  "--lease",        "1s",
                                         "--job-jitter",      "0",  "--max-attempts", "100000",
                                         "--max-retry-delay", "5s", "--retry-delay",  "1s"};
  int killed = 0, round = 0, faults = 0, interrupted = 0;
  int by_kind[3] = {0, 0, 0};
  const auto begun = Clock::now();
  for (; killed < kills; ++round) {
    // Every third round the next publish answer misbehaves after the post was made.
    if (round % 3 == 0) {
      static const char *const modes[] = {
          R"({"group":"publish","mode":"stall","stall_s":2,"execute":true})",
          R"({"group":"publish","mode":"reset","execute":true})",
          R"({"group":"publish","mode":"publish_succeeds_then_500"})",
      };
      sbx::add_fault(sandbox(), modes[faults++ % 3]);
    }
    // Once everything is published only random moments are left to try.
    const auto kind = publishes() >= posts
                          ? KillAt::random_moment
                          : static_cast<KillAt>(std::uniform_int_distribution<int>(0, 2)(random));
    const auto publish_before = requests("publish");
    const auto status_before = requests("status");
    DaemonProcess daemon(*this, args);
    switch (kind) {
    case KillAt::random_moment:
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(random)));
      break;
    case KillAt::while_polling:
      wait_for_request("status", status_before, 3s);
      break;
    case KillAt::after_publish:
      wait_for_request("publish", publish_before, 3s);
      // Right after the request, or a little later while its answer is handled.
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 30)(random)));
      break;
    }
    BOOST_REQUIRE_MESSAGE(daemon.running(),
                          "round " << round << ": the daemon exited by itself: " << daemon.log());
    daemon.stop(SIGKILL, 30s);
    const std::string log = daemon.log();
    if (count_of(log, "\"run started\"") + count_of(log, "\"run resumed\"") >
        count_of(log, "\"run finished")) {
      ++interrupted;
    }
    ++killed;
    ++by_kind[static_cast<int>(kind)];
  }
  const auto killing = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - begun);
  const auto published_by_then = publishes();
  BOOST_TEST_MESSAGE(killed << " kills in " << killing.count() << " s (" << by_kind[0]
                            << " at random, " << by_kind[1] << " while polling, " << by_kind[2]
                            << " after a publish request), " << interrupted
                            << " with runs in flight; " << published_by_then
                            << " posts published by then");
  // The kills that wait for a status check or a publish request land while runs are in
  // flight; far fewer would mean the test no longer tests anything.
  BOOST_TEST(interrupted >= 20);

  // A last daemon, not killed, finishes what is left (resuming the last one's runs when
  // their lease ends) and stops on SIGTERM.
  control("DELETE", "/__sandbox/faults");
  {
    DaemonProcess daemon(*this, args);
    BOOST_REQUIRE_MESSAGE(daemon.wait_for_log(R"("msg":"started")"), daemon.log());
    const bool finished = eventually(
        [&] {
          const auto all = runs(*this);
          return all.size() == static_cast<std::size_t>(posts) &&
                 std::all_of(all.begin(), all.end(), [](const json::value &r) {
                   const auto s = status_of(r);
                   return s != "pending" && s != "running";
                 });
        },
        300s);
    BOOST_TEST(daemon.stop(SIGTERM, 60s) == 0);
    BOOST_REQUIRE_MESSAGE(finished, "runs still open: " + json::serialize(runs(*this)));
  }

  const std::string published = check_published_once(posts, post_text);
  int attempts = 0;
  for (const auto &run : runs(*this)) {
    BOOST_TEST(status_of(run) == "succeeded", json::serialize(run));
    attempts += static_cast<int>(run.at("attempts").as_int64());
  }
  BOOST_TEST_MESSAGE(posts << " posts, " << published << "; " << attempts << " attempts in all");
}
