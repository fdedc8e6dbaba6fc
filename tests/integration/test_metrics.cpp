// `autohost run --metrics` against the sandbox, on SQLite and on PostgreSQL: /metrics
// scraped with curl passes `promtool check metrics` and counts what the test made the
// daemon do (a published post, a post the API refused, a token refresh, the plugin's HTTP
// answers); /healthz, also
// while the PostgreSQL server is down and after it is back; the
// request and connection bounds; bad ADDR:PORT values.
#define BOOST_TEST_MODULE metrics
#include "multi_host_world.hpp"

#include <boost/test/data/test_case.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <regex>

using namespace multi_host;
namespace bdata = boost::unit_test::data;

BOOST_TEST_GLOBAL_FIXTURE(World);

// Named, not anonymous: the data test case's lambdas capture these types.
namespace metrics_test {

inline constexpr double token_life_days = 60;
inline constexpr double token_age_days = 50; // due for refresh at this age

// A program on PATH (curl, promtool) by its full path; the test stops when it is missing.
inline fs::path tool(const std::string &name) {
  const fs::path found = bp::search_path(name).string();
  BOOST_REQUIRE_MESSAGE(!found.empty(), name + " is not installed (examples/install-deps.sh)");
  return found;
}

// A daemon with --metrics on a free loopback port, and scraping it.
struct Scraped : Cli {
  SharedStore store;
  std::unique_ptr<DaemonProcess> daemon;
  std::string address; // "127.0.0.1:PORT"

  explicit Scraped(const std::string &kind) : Cli(fast_polling), store(kind) {
    extra_env["AUTOHOST_STORE"] = store.location();
    extra_env["AUTOHOST_MASTER_KEY_FILE"] = store.master_key_file().string();
    control("POST", "/__sandbox/config", R"({"container_delay_s":{"TEXT":0.2}})");
    import("alice", issue(json::serialize(json::object{{ "age_s", token_age_days * day_s }})));
  }

  void start() {
    daemon = std::make_unique<DaemonProcess>(*this, std::vector<std::string>{"--metrics", "0"});
    BOOST_REQUIRE_MESSAGE(daemon->wait_for_log(R"("msg":"metrics listening")"), daemon->log());
    const std::regex bound(R"re("address":"(127\.0\.0\.1:[0-9]+)")re");
    std::smatch m;
    const std::string log = daemon->log();
    BOOST_REQUIRE_MESSAGE(std::regex_search(log, m, bound), log);
    address = m[1];
  }

  // Due a moment ago.
  static std::string due_now() { return utc_in(-2); }

  void add(const std::vector<std::string> &args) {
    auto r = cli(args);
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  void add_post(const std::string &id) {
    add({"schedule", "add", "threads.post", "--id", id, "--at", due_now(), "--account", "alice",
         "--input", R"({"text":")" + id + R"("})"});
  }

  // curl's output for `path` and the HTTP status it reports (curl exits 0 on any status).
  std::pair<int, std::string> get(const std::string &path) {
    auto r = run_process(tool("curl"), {"-sS", "-w", "\n%{http_code}", "http://" + address + path});
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto cut = r.out.rfind('\n');
    return {std::stoi(r.out.substr(cut + 1)), r.out.substr(0, cut)};
  }

  // Scrapes /metrics and checks the text with promtool.
  std::string scrape() {
    auto [status, text] = get("/metrics");
    BOOST_REQUIRE_EQUAL(status, 200);
    ProcessOptions o;
    o.stdin_text = text;
    auto check = run_process(tool("promtool"), {"check", "metrics"}, o);
    BOOST_TEST(check.exit_code == 0, check.out + check.err + "\n" + text);
    return text;
  }

  bool run_ended(const std::string &schedule, const std::string &status) {
    auto all = runs(*this, schedule);
    return !all.empty() && status_of(all[0]) == status;
  }
};

// The value of the sample whose line starts with `series` ("name{labels}"); NaN if none.
inline double sample(const std::string &text, const std::string &series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// A plain TCP connection to `address` ("127.0.0.1:PORT"), or -1.
inline int connect_to(const std::string &address) {
  const auto colon = address.rfind(':');
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// All a connection answers until the server closes it (bounded by a receive timeout).
inline std::string read_all(int fd) {
  timeval wait{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// Voluntary plus involuntary context switches of every thread of process `pid`: each is a
// wake-up of a thread that slept, or a preemption of one that ran.
inline long long context_switches(pid_t pid) {
  long long total = 0;
  const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto &task : fs::directory_iterator(tasks)) {
    std::ifstream status(task.path() / "status");
    for (std::string line; std::getline(status, line);) {
      if (line.find("ctxt_switches:") != std::string::npos)
        total += std::stoll(line.substr(line.find(':') + 1));
    }
  }
  return total;
}

// /healthz's JSON.
inline json::object health(Scraped &s) { return json::parse(s.get("/healthz").second).as_object(); }

inline std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace metrics_test

using namespace metrics_test;

BOOST_DATA_TEST_CASE(metrics_count_what_the_daemon_did, bdata::make(store_kinds()), kind) {
  Scraped s(kind);
  s.start();

  // Before any run: ready, the store reachable, nothing counted; alice's token (issued 50
  // days ago) has about 10 days left.
  BOOST_TEST_REQUIRE(eventually([&] { return s.get("/healthz").first == 200; }, 30s));
  auto text = s.scrape();
  BOOST_TEST(sample(text, "autohost_ready") == 1);
  BOOST_TEST(sample(text, "autohost_store_reachable") == 1);
  BOOST_TEST(sample(text, "autohost_runs_in_flight") == 0);
  BOOST_TEST(sample(text, "autohost_dispatch_lateness_seconds_count") == 0);
  const std::string left = R"(autohost_token_expires_in_seconds{plugin="threads",account="alice"})";
  const double before = sample(text, left) / day_s;
  BOOST_TEST(std::fabs(before - (token_life_days - token_age_days)) < 0.1, text);
  BOOST_TEST(sample(text, R"(autohost_token_status_errors{plugin="threads"})") == 0);

  // A post the API refuses (a permission it lacks), one it publishes (its container's status
  // read once answered 503 and retried), and a refresh.
  sbx::add_fault(sandbox(), R"({"group":"create","mode":"graph_error","http_status":403,
    "code":10,"message":"Application does not have permission for this action","count":1})");
  sbx::add_fault(sandbox(), R"({"group":"status","mode":"http_503","count":1})");
  s.add_post("refused");
  BOOST_TEST_REQUIRE(eventually([&] { return s.run_ended("refused", "needs_attention"); }, 60s),
                     s.daemon->log());
  s.add_post("published");
  s.add({"schedule", "add", "threads.refresh_tokens", "--id", "refresh", "--at", s.due_now()});
  BOOST_TEST_REQUIRE(eventually([&] { return s.run_ended("published", "succeeded"); }, 60s),
                     s.daemon->log());
  BOOST_TEST_REQUIRE(eventually([&] { return s.run_ended("refresh", "succeeded"); }, 60s),
                     s.daemon->log());

  text = s.scrape();
  const std::string runs = R"(autohost_runs_total{plugin="threads",target=)";
  BOOST_TEST(sample(text, runs + R"("threads.post",status="succeeded"})") == 1, text);
  BOOST_TEST(sample(text, runs + R"("threads.post",status="needs_attention"})") == 1, text);
  BOOST_TEST(sample(text, runs + R"("threads.refresh_tokens",status="succeeded"})") == 1, text);
  // The refused answer, by HTTP status and the API's error code, with the host's code.
  const std::regex refused(
      R"re(autohost_run_errors_total\{plugin="threads",code="[a-z_]+",http_status="403",api_code="10"\} 1\n)re");
  BOOST_TEST(std::regex_search(text, refused), text);
  // Every HTTP answer the plugin read, by status and API error code (ABI 1.3 count): the
  // refusal, the 503 that was retried, and the answers that succeeded.
  const std::string answers = R"(autohost_plugin_http_answers_total{plugin="threads",api_code=)";
  BOOST_TEST(sample(text, answers + R"("10",http_status="403"})") == 1, text);
  BOOST_TEST(sample(text, answers + R"("2",http_status="503"})") == 1, text);
  // Create, status, publish and the permalink read for the post, one refresh: 5 at least.
  BOOST_TEST(sample(text, answers + R"("",http_status="200"})") >= 5, text);
  const std::string job = R"(autohost_job_report_total{job="threads.refresh_tokens",field=)";
  BOOST_TEST(sample(text, job + R"("refreshed"})") == 1, text);
  BOOST_TEST(sample(text, job + R"("failed"})") == 0, text);
  // Refreshed: a new 60-day token.
  const double after = sample(text, left) / day_s;
  BOOST_TEST(std::fabs(after - token_life_days) < 0.1, text);
  // Three first starts, each a few seconds late at most (they were due 2 s before adding).
  BOOST_TEST(sample(text, "autohost_dispatch_lateness_seconds_count") == 3, text);
  BOOST_TEST(sample(text, R"(autohost_dispatch_lateness_seconds_bucket{le="0.5"})") == 0, text);
  BOOST_TEST(sample(text, R"(autohost_dispatch_lateness_seconds_bucket{le="+Inf"})") == 3, text);
  BOOST_TEST(sample(text, R"(autohost_store_latency_seconds_count{op="claim"})") >= 1, text);
  BOOST_TEST(sample(text, R"(autohost_store_latency_seconds_count{op="record"})") == 3, text);
  BOOST_TEST(sample(text, "autohost_runs_in_flight") == 0, text);

  auto [status, health] = s.get("/healthz");
  BOOST_TEST(status == 200, health);
  const auto h = json::parse(health).as_object();
  BOOST_TEST(h.at("ready").as_bool());
  BOOST_TEST(h.at("store_reachable").as_bool());
  BOOST_TEST(h.at("last_loop_age_s").to_number<double>() < 120.0, health);

  BOOST_TEST(s.daemon->stop(SIGTERM, 30s) == 0, s.daemon->log());
}

// /healthz answers 503 while the store cannot be reached - the PostgreSQL server stopped
// under the running daemon - saying why in its JSON, and 200 again once the server is back.
BOOST_AUTO_TEST_CASE(health_follows_the_store) {
  Scraped s("postgresql");
  s.start();
  BOOST_TEST_REQUIRE(eventually([&] { return s.get("/healthz").first == 200; }, 30s));

  // The loop looks at the store at least once a minute (its longest sleep, 60 s; losing
  // the LISTEN connection does not wake it), so /healthz may stay 200 that long.
  s.store.cluster()->stop();
  std::pair<int, std::string> health;
  BOOST_TEST_REQUIRE(eventually(
                         [&] {
                           health = s.get("/healthz");
                           return health.first == 503;
                         },
                         90s),
                     health.second + s.daemon->log());
  auto h = json::parse(health.second).as_object();
  BOOST_TEST(h.at("status").as_string() == "unhealthy", health.second);
  BOOST_TEST(!h.at("store_reachable").as_bool(), health.second);
  BOOST_TEST(h.at("ready").as_bool(), health.second);
  BOOST_TEST(sample(s.scrape(), "autohost_store_reachable") == 0);

  s.store.cluster()->start();
  BOOST_TEST_REQUIRE(eventually(
                         [&] {
                           health = s.get("/healthz");
                           return health.first == 200;
                         },
                         90s),
                     health.second + s.daemon->log());
  h = json::parse(health.second).as_object();
  BOOST_TEST(h.at("status").as_string() == "ok", health.second);
  BOOST_TEST(h.at("store_reachable").as_bool(), health.second);
  BOOST_TEST(sample(s.scrape(), "autohost_store_reachable") == 1);
  BOOST_TEST(s.daemon->stop(SIGTERM, 30s) == 0, s.daemon->log());
}

// The server keeps to its bounds without holding up the scheduler: idle connections fill
// its slots (a further one is closed at once) while a post is still published; an oversized
// request is refused; unknown paths and methods get 404/405.
BOOST_AUTO_TEST_CASE(requests_and_connections_are_bounded) {
  Scraped s("sqlite");
  s.start();
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(connect_to(s.address));
    BOOST_TEST_REQUIRE(idle.back() >= 0);
  }
  std::this_thread::sleep_for(200ms); // accepted by the server's thread
  const int extra = connect_to(s.address);
  BOOST_TEST_REQUIRE(extra >= 0); // the kernel accepts; the server closes it unanswered
  BOOST_TEST(read_all(extra).empty());
  close(extra);
  s.add_post("while-full");
  BOOST_TEST(eventually([&] { return s.run_ended("while-full", "succeeded"); }, 60s),
             s.daemon->log());
  for (const int fd : idle)
    close(fd);

  BOOST_TEST_REQUIRE(eventually([&] { return s.get("/healthz").first == 200; }, 30s));
  const int big = connect_to(s.address);
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Fill: " + std::string(20000, 'a') + "\r\n\r\n";
  [[maybe_unused]] auto sent = send(big, request.data(), request.size(), MSG_NOSIGNAL);
  const std::string answer = read_all(big);
  close(big);
  BOOST_TEST(answer.rfind("HTTP/1.1 431", 0) == 0, answer);
  BOOST_TEST(s.get("/other").first == 404);
  auto post = run_process(tool("curl"), {"-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                                         "POST", "http://" + s.address + "/metrics"});
  BOOST_TEST(post.out == "405");
  BOOST_TEST(s.get("/metrics").first == 200);
  BOOST_TEST(s.daemon->stop(SIGTERM, 30s) == 0, s.daemon->log());
}

// A bad ADDR:PORT is a usage error naming the flag; so is --metrics with --once, and an
// address that cannot be bound says which.
BOOST_AUTO_TEST_CASE(bad_listen_addresses_are_usage_errors) {
  Scraped s("sqlite");
  for (const std::string bad : {"", "x", "70000", "localhost:9100", "1.2.3:9100", "[::1]", "-1"}) {
    auto r = s.cli({"run", "--metrics", bad});
    BOOST_TEST(r.exit_code == 2, bad << ": " << r.err);
    BOOST_TEST(contains(r.err, "--metrics '" + bad + "'"), r.err);
  }
  auto once = s.cli({"run", "--once", "--metrics", "9100"});
  BOOST_TEST(once.exit_code == 2, once.err);
  BOOST_TEST(contains(once.err, "--metrics needs a daemon"), once.err);

  s.start(); // holds its port: a second daemon cannot listen there
  auto taken = s.cli({"run", "--metrics", s.address});
  BOOST_TEST(taken.exit_code == 2, taken.err);
  BOOST_TEST(contains(taken.err, "cannot listen on " + s.address), taken.err);
  BOOST_TEST(s.daemon->stop(SIGTERM, 30s) == 0, s.daemon->log());
}

// Where every change to the store wakes it (SQLite under inotify), an idle daemon plans to
// sleep until its next due time, not a minute at most, nothing in it wakes meanwhile, and
// /healthz judges it by that plan; on PostgreSQL, whose LISTEN connection can drop unseen, it
// still looks at the store every minute.
BOOST_DATA_TEST_CASE(an_idle_loop_sleeps_until_its_next_due_time, bdata::make(store_kinds()),
                     kind) {
  Scraped s(kind);
  s.add({"schedule", "add", "threads.post", "--id", "later", "--at", utc_in(7200), "--account",
         "alice", "--input", R"({"text":"later"})"});
  s.start();
  BOOST_TEST_REQUIRE(eventually([&] { return s.get("/healthz").first == 200; }, 30s));
  // The refresh job's default schedule (every 6 hours) may be due sooner: pause it, a change
  // that wakes the loop to plan again.
  auto listed = s.cli({"--json", "schedule", "list"});
  BOOST_TEST_REQUIRE(listed.exit_code == 0, listed.err);
  std::string refresh;
  const json::value rows = json::parse(listed.out);
  for (const auto &row : rows.as_array()) {
    if (row.at("target").as_string() == "threads.refresh_tokens")
      refresh = std::string(row.at("id").as_string());
  }
  BOOST_TEST_REQUIRE(!refresh.empty(), listed.out);
  s.add({"schedule", "pause", refresh});

  const auto planned_sleep_s = [&] {
    const auto h = health(s);
    return (h.at("next_loop_ms").to_number<double>() - h.at("last_loop_ms").to_number<double>()) /
           1000.0;
  };
  if (kind == "sqlite") {
    // The post is due in two hours: the loop means to sleep that long (less what passed).
    BOOST_TEST_REQUIRE(eventually([&] { return planned_sleep_s() > 7000; }, 30s),
                       json::serialize(health(s)) + s.daemon->log());
    // The metrics server's work for the last request is over (it gives a connection 5 s).
    std::this_thread::sleep_for(6s);
    const long long before = context_switches(s.daemon->pid());
    std::this_thread::sleep_for(5s);
    BOOST_TEST(context_switches(s.daemon->pid()) == before, "an idle daemon woke");
  } else {
    std::this_thread::sleep_for(2s); // the pause's turn is over
    const double planned = planned_sleep_s();
    BOOST_TEST(planned <= 60.5, json::serialize(health(s)));
    BOOST_TEST(planned > 0, json::serialize(health(s)));
  }
  const auto h = health(s);
  BOOST_TEST(h.at("status").as_string() == "ok", json::serialize(h));
  BOOST_TEST(h.at("next_loop_ms").to_number<double>() > static_cast<double>(unix_ms_now()),
             json::serialize(h));
  BOOST_TEST(s.daemon->stop(SIGTERM, 30s) == 0, s.daemon->log());
}
