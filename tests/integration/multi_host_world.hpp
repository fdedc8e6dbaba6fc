// What the multi-host suites share: a store that several daemons use (a SQLite file or a
// throw-away PostgreSQL cluster, with the master key beside it), a fixture with 300 posts
// due within a minute and each host's own state directory, and reading daemons' JSON logs.
#pragma once

#include "daemon_world.hpp"
#include "pg_cluster.hpp"

#include <memory>
#include <optional>
#include <set>

namespace multi_host {

using namespace daemon_test;

inline constexpr int posts = 300;
inline constexpr int daemons = 3;

inline std::string post_text(int i) { return "shared post " + std::to_string(i); }

// The store kinds this build tests, from MULTI_HOST_STORES (comma-separated).
inline std::vector<std::string> store_kinds() {
  std::vector<std::string> kinds;
  std::istringstream list(required_env("MULTI_HOST_STORES"));
  for (std::string kind; std::getline(list, kind, ',');) {
    if (kind != "sqlite" && kind != "postgresql")
      throw std::runtime_error("MULTI_HOST_STORES names an unknown store kind: " + kind);
    kinds.push_back(kind);
  }
  return kinds;
}

// A PostgreSQL server reached over TCP at `address` (trusting clients from `subnet`), for
// hosts on other (simulated) machines.
struct ServedAt {
  std::string address;
  std::string subnet;
};

// One store shared by every host of a test: a SQLite file in a directory of its own, or a
// throw-away PostgreSQL cluster (on its Unix socket, or at `served_at`); the master key file
// beside it either way.
class SharedStore {
public:
  explicit SharedStore(const std::string &kind,
                       const std::optional<ServedAt> &served_at = std::nullopt) {
    if (kind == "postgresql" && served_at) {
      PgClusterOptions options;
      options.tcp = true;
      options.settings = {"listen_addresses = '127.0.0.1," + served_at->address + "'"};
      options.hba = {"host all all " + served_at->subnet + " trust"};
      cluster_ = std::make_unique<PgCluster>(options);
      location_ = "postgresql://autohost@" + served_at->address + ":" +
                  std::to_string(cluster_->port()) + "/autohost_test";
    } else if (kind == "postgresql") {
      cluster_ = std::make_unique<PgCluster>();
      location_ = cluster_->url();
    } else {
      location_ = (dir_ / "store.db").string();
    }
  }
  const std::string &location() const noexcept { return location_; }
  fs::path master_key_file() const { return dir_ / "master.key"; }
  PgCluster *cluster() noexcept { return cluster_.get(); }

private:
  TempDir dir_;
  std::unique_ptr<PgCluster> cluster_;
  std::string location_;
};

// The lines of a daemon's JSON log.
inline std::vector<json::object> log_lines(const std::string &log) {
  std::vector<json::object> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (!ec && v.is_object())
      lines.push_back(std::move(v.as_object()));
  }
  return lines;
}

inline std::string field(const json::object &line, const char *name) {
  const auto *v = line.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The worker id a daemon logged when it started ("" if it did not get that far).
inline std::string worker_of(const std::string &log) {
  for (const auto &line : log_lines(log)) {
    if (field(line, "msg") == "started")
      return field(line, "worker");
  }
  return "";
}

// Three hosts' worth of fixture: the sandbox set up for many fast text posts, account
// alice, and a shared store that every CLI call and daemon uses.
struct Hosts : Cli {
  SharedStore store;
  std::vector<TempDir> state_dirs = std::vector<TempDir>(daemons);

  explicit Hosts(const std::string &kind, const std::optional<ServedAt> &served_at = std::nullopt)
      : Cli(fast_polling), store(kind, served_at) {
    extra_env["AUTOHOST_STORE"] = store.location();
    extra_env["AUTOHOST_MASTER_KEY_FILE"] = store.master_key_file().string();
    control("POST", "/__sandbox/config",
            R"({"container_delay_s":{"TEXT":0.2},"no_server_dedup":true,
                "quota":{"posts":1000}})");
    import("alice", issue());
  }

  // Host `n`'s own environment: its state directory (nothing else differs between hosts).
  std::map<std::string, std::optional<std::string>> host_env(int n) const {
    return {{"AUTOHOST_STATE_DIR", (state_dirs[n] / "state").string()}};
  }

  // 300 posts due from a few seconds from now over one minute, five a second.
  void schedule_posts() {
    json::array entries;
    for (int i = 0; i < posts; ++i) {
      entries.push_back(json::object{{"id", "post-" + std::to_string(i)},
                                     {"at", utc_in(5 + i / 5)},
                                     {"input", json::object{{"text", post_text(i)}}}});
    }
    TempDir files;
    std::ofstream(files / "calendar.json") << json::serialize(
        json::object{{"account", "alice"}, {"max_lateness", "6h"}, {"posts", std::move(entries)}});
    auto imported = cli({"schedule", "import", (files / "calendar.json").string()});
    BOOST_REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
  }

  // True once all 300 runs exist and none is pending or running any more. Asks the sandbox
  // first: until every post is published the answer is no, and one `autohost runs` process
  // every 100 ms would take a core from the daemons on a two-core machine.
  bool all_finished() {
    if (publishes() < posts)
      return false;
    const auto all = runs(*this);
    return all.size() == static_cast<std::size_t>(posts) &&
           std::all_of(all.begin(), all.end(), [](const json::value &r) {
             const auto s = status_of(r);
             return s != "pending" && s != "running";
           });
  }

  // Every post exactly once at the sandbox, every run succeeded; the runs by worker id.
  std::map<std::string, int> check_each_post_once() {
    const std::string published = check_published_once(posts, post_text);
    std::map<std::string, int> by_worker;
    for (const auto &run : runs(*this)) {
      BOOST_TEST(status_of(run) == "succeeded", json::serialize(run));
      ++by_worker[std::string(run.at("claimed_by").as_string())];
    }
    BOOST_TEST_MESSAGE(posts << " posts: " << published);
    return by_worker;
  }
};

// How often `needle` occurs in a daemon's log.
inline int count_in(const std::string &log, const std::string &needle) {
  int n = 0;
  for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1))
    ++n;
  return n;
}

// The runs a daemon's log shows it started or resumed and never finished.
inline std::set<std::string> unfinished_runs(const std::string &log) {
  std::set<std::string> open;
  for (const auto &line : log_lines(log)) {
    const auto msg = field(line, "msg");
    if (msg == "run started" || msg == "run resumed")
      open.insert(field(line, "run"));
    else if (msg.rfind("run finished", 0) == 0)
      open.erase(field(line, "run"));
  }
  return open;
}

} // namespace multi_host
