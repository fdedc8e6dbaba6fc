// The refresh sweep and the host's batched write (ABI 1.1): the real plugin in-process on
// the real host-services table and SQLite store, against the sandbox. The table the plugin
// gets is a copy whose entries count the calls and pass them on; once it is cut to the ABI
// 1.0 size, the sweep must fall back to one secret_put per write and still refresh every
// account. And the account record an instance keeps between calls (ABI 1.4 secret_version):
// another process's rotation is used at the next call. The sweep reads each chunk's records
// with one secret_get_many (ABI 1.5), and one secret_get each on an older table.
#define BOOST_TEST_MODULE token_batch
#include "token_world.hpp"

#include "log.hpp"
#include "services.hpp"
#include "store/sql_secret_store.hpp"

#include <autohost/host.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <optional>

using namespace token_test;
using namespace autohost;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

constexpr int accounts = 80;               // two chunks of the sweep at refresh_concurrency 4
constexpr std::int64_t age_s = 31 * day_s; // every token is due

std::string account_name(int i) { return "acct" + std::to_string(i); }

// The host's table, passed on through counting entries.
class CountingHost {
public:
  explicit CountingHost(bool abi_1_0) {
    auto s = store::SqlSecretStore::open(
        {store_file_, store::KeySource{std::string(64, 'c'), dir / "master.key"}});
    BOOST_REQUIRE(s);
    store_ = std::move(s).value();
    services_ = std::make_unique<host::ServiceTable>("threads", store_.get(), logger_, [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    });
    real_ = services_->table();
    table_ = *real_;
    table_.host = this;
    table_.log = [](void *h, ah_log_level l, ah_str m, ah_str f) {
      real(h)->log(real_host(h), l, m, f);
    };
    table_.secret_get = [](void *h, ah_str k, ah_sink *v, uint64_t *ver) {
      CountingHost &c = self(h);
      ++c.gets;
      {
        const std::lock_guard lock(c.mutex);
        c.read_at.push_back(std::chrono::steady_clock::now());
      }
      return real(h)->secret_get(real_host(h), k, v, ver);
    };
    table_.secret_get_many = [](void *h, ah_secret_read *r, size_t n, ah_sink *err) {
      CountingHost &c = self(h);
      if (c.table_.struct_size < sizeof(ah_host_services)) {
        ++c.calls_beyond_size; // the plugin read past the table it was given
        return AH_INTERNAL;
      }
      ++c.read_batches;
      c.gets += static_cast<int>(n);
      {
        const std::lock_guard lock(c.mutex);
        c.read_at.insert(c.read_at.end(), n, std::chrono::steady_clock::now());
      }
      return real(h)->secret_get_many(real_host(h), r, n, err);
    };
    table_.secret_put = [](void *h, ah_str k, ah_str v, uint64_t e, uint64_t *n, ah_sink *err) {
      ++self(h).puts;
      return real(h)->secret_put(real_host(h), k, v, e, n, err);
    };
    table_.secret_list = [](void *h, ah_str p, ah_sink *out) {
      return real(h)->secret_list(real_host(h), p, out);
    };
    table_.secret_delete = [](void *h, ah_str k, uint64_t e, ah_sink *err) {
      return real(h)->secret_delete(real_host(h), k, e, err);
    };
    table_.now_ms = [](void *h) { return real(h)->now_ms(real_host(h)); };
    table_.secret_version = [](void *h, ah_str k, uint64_t *ver, ah_sink *err) {
      ++self(h).versions;
      return real(h)->secret_version(real_host(h), k, ver, err);
    };
    table_.secret_put_many = [](void *h, ah_secret_write *w, size_t n, ah_sink *err) {
      CountingHost &c = self(h);
      if (c.table_.struct_size < sizeof(ah_host_services)) {
        ++c.calls_beyond_size; // the plugin read past the table it was given
        return AH_INTERNAL;
      }
      if (c.batches++ == 0)
        c.gets_before_first_batch = c.gets.load();
      c.batched_items += static_cast<int>(n);
      const ah_status status = real(h)->secret_put_many(real_host(h), w, n, err);
      const std::lock_guard lock(c.mutex);
      c.written_at.emplace_back(std::chrono::steady_clock::now(), n);
      return status;
    };
    if (abi_1_0) {
      table_.struct_size = offsetof(ah_host_services, secret_put_many);
      table_.abi_minor = 0;
    }
  }
  ~CountingHost() { std::fclose(log_); }

  const ah_host_services *table() const { return &table_; }
  const std::filesystem::path &store_file() const { return store_file_; }
  store::SqlSecretStore &store() { return *store_; }

  TempDir dir;
  // The plugin calls from more than one thread (the sweep reads ahead on its own thread).
  std::atomic<int> puts = 0, batches = 0, batched_items = 0, calls_beyond_size = 0;
  // gets counts records read, one at a time or in a batch read (read_batches).
  std::atomic<int> gets = 0, gets_before_first_batch = 0, versions = 0, read_batches = 0;
  std::mutex mutex; // guards the two lists below
  // When each batch was committed, and its size; when each record was read.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::size_t>> written_at;
  std::vector<std::chrono::steady_clock::time_point> read_at;

private:
  static CountingHost &self(void *h) { return *static_cast<CountingHost *>(h); }
  static const ah_host_services *real(void *h) { return self(h).real_; }
  static void *real_host(void *h) { return self(h).real_->host; }

  std::filesystem::path store_file_ = dir / "store.db";
  std::FILE *log_ = std::tmpfile();
  host::Logger logger_{log_, AH_LOG_WARN};
  std::unique_ptr<store::SqlSecretStore> store_;
  std::unique_ptr<host::ServiceTable> services_;
  const ah_host_services *real_ = nullptr;
  ah_host_services table_{};
};

struct SweepRun {
  json::object report;
  int puts = 0, batches = 0, batched_items = 0, calls_beyond_size = 0;
  int gets = 0, read_batches = 0;  // records read, and batch reads
  int gets_before_first_batch = 0; // records read before the first claim
  // Items written in batches, and records read, within the first `limit` of the job.
  std::size_t items_within = 0, reads_within = 0;
};

// The real plugin, created on `h`'s table.
Instance threads_on(const CountingHost &h) {
  auto lib = Library::open(required_env("THREADS_PLUGIN"));
  BOOST_REQUIRE(lib);
  const std::string config = json::serialize(json::object{{"graph_base_url", sandbox().base_url},
                                                          {"oauth_base_url", sandbox().base_url},
                                                          {"ca_file", sandbox().ca_file},
                                                          {"refresh_concurrency", 4}});
  auto created = Instance::create(lib.value(), h.table(), config);
  BOOST_REQUIRE_MESSAGE(created, (created ? "" : created.error().body));
  return std::move(created).value();
}

// The real plugin on a counting host, holding `accounts` due accounts.
struct DueAccounts {
  explicit DueAccounts(bool abi_1_0) : h(abi_1_0) {
    instance.emplace(threads_on(h));
    for (int i = 0; i < accounts; ++i) {
      old_tokens.push_back(
          sbx::issue_token(sandbox(), R"({"age_s":)" + std::to_string(age_s) + "}"));
      auto imported = instance->invoke(
          "import_token", json::serialize(json::object{{"account", account_name(i)},
                                                       {"access_token", old_tokens.back()}}));
      BOOST_REQUIRE_MESSAGE(imported, (imported ? "" : imported.error().body));
    }
  }

  CountingHost h;
  std::optional<Instance> instance;
  std::vector<std::string> old_tokens;
};

// Imports `accounts` due accounts, runs the sweep, and checks every account now holds a new
// token the sandbox accepts.
// With a `fault`, it is installed in the sandbox just before the job, and items_within
// counts the batched items written within `limit` of the job's start.
SweepRun sweep_on(bool abi_1_0, const std::string &fault = "",
                  std::chrono::milliseconds limit = {}) {
  DueAccounts world(abi_1_0);
  CountingHost &h = world.h;
  const Instance &instance = *world.instance;
  const std::vector<std::string> &old_tokens = world.old_tokens;
  SweepRun run;
  const int puts_before = h.puts;
  const int gets_before = h.gets;
  if (!fault.empty())
    control("POST", "/__sandbox/faults", fault);
  const auto started = std::chrono::steady_clock::now();
  auto job = instance.run_job("refresh_tokens");
  control("DELETE", "/__sandbox/faults");
  BOOST_REQUIRE_MESSAGE(job, (job ? "" : job.error().body));
  run.report = json::parse(job.value()).as_object();
  run.puts = h.puts - puts_before;
  run.batches = h.batches;
  run.batched_items = h.batched_items;
  run.calls_beyond_size = h.calls_beyond_size;
  run.gets_before_first_batch = h.gets_before_first_batch - gets_before;
  run.gets = h.gets - gets_before;
  run.read_batches = h.read_batches;
  for (const auto &[at, n] : h.written_at) {
    if (at - started <= limit)
      run.items_within += n;
  }
  for (const auto &at : h.read_at) {
    if (at >= started && at - started <= limit)
      ++run.reads_within;
  }
  BOOST_TEST_MESSAGE("ABI 1." << (abi_1_0 ? 0 : 1) << " host: " << run.batches
                              << " batched writes of " << run.batched_items << " items, "
                              << run.puts << " single writes");

  for (int i = 0; i < accounts; ++i) {
    auto stored = h.store().get("threads/accounts/" + account_name(i));
    BOOST_REQUIRE(stored && stored.value());
    const auto record = json::parse(stored.value()->value).as_object();
    const std::string token(record.at("access_token").as_string());
    BOOST_TEST(token != old_tokens[i], account_name(i) << " still holds its old token");
    BOOST_TEST(token_check(token) == "ok", account_name(i) << ": the stored token is not usable");
    BOOST_TEST(record.at("refresh_claimant").as_string().empty());
  }
  return run;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_abi_1_1_host_gets_the_sweep_in_batches) {
  const SweepRun run = sweep_on(false);
  BOOST_TEST(run.report.at("refreshed").as_int64() == accounts);
  BOOST_TEST(run.report.at("failed").as_int64() == 0);
  BOOST_TEST(run.puts == 0, "the sweep wrote " << run.puts << " records one at a time");
  BOOST_TEST(run.batched_items == 2 * accounts); // one claim and one new token each
  // One claim batch per chunk; answers in batches (jobs/commit_rule.hpp), more when they pause.
  BOOST_TEST(run.batches >= 2 + accounts / 64);
  BOOST_TEST(run.batches <= accounts / 4, run.batches << " batches for " << accounts);
  // Every record read once, a chunk (64 at refresh_concurrency 4) in one batch read.
  BOOST_TEST(run.gets == accounts);
  BOOST_TEST(run.read_batches == (accounts + 63) / 64);
  // Counts only: a refreshed account is not listed, so the report does not grow with them.
  BOOST_TEST(run.report.at("details").as_array().empty(), run.report);
  BOOST_TEST(run.report.at("details_omitted").as_int64() == 0);
}

// The report lists the accounts that need attention, by name, outcome and reason: here the
// first three refreshes are answered "session expired" (code 190), so three accounts need
// re-authorisation; the others are refreshed and only counted.
BOOST_AUTO_TEST_CASE(the_report_lists_only_the_accounts_that_need_attention) {
  DueAccounts world(false);
  control("POST", "/__sandbox/faults",
          R"({"group":"refresh","mode":"graph_error","http_status":401,"code":190,)"
          R"("error_subcode":463,"message":"Error validating access token: Session has expired",)"
          R"("count":3})");
  auto job = world.instance->run_job("refresh_tokens");
  control("DELETE", "/__sandbox/faults");
  BOOST_REQUIRE_MESSAGE(job, (job ? "" : job.error().body));
  const json::object report = json::parse(job.value()).as_object();
  BOOST_TEST(report.at("refreshed").as_int64() == accounts - 3);
  BOOST_TEST(report.at("needs_reauth").as_int64() == 3);
  const json::array &details = report.at("details").as_array();
  BOOST_REQUIRE_EQUAL(details.size(), 3u);
  for (const json::value &d : details) {
    const std::string name(d.at("account").as_string());
    BOOST_TEST(d.at("outcome").as_string() == "needs_reauth", d);
    BOOST_TEST(std::string(d.at("reason").as_string()).find("expired") != std::string::npos, d);
    auto stored = world.h.store().get("threads/accounts/" + name);
    BOOST_REQUIRE(stored && stored.value());
    BOOST_TEST(json::parse(stored.value()->value).at("status").as_string() == "needs_reauth",
               name << " is listed but not marked");
  }
  BOOST_TEST(report.at("details_omitted").as_int64() == 0);
}

// However many accounts need attention, the report lists 1,000 and counts the rest, so its
// size stays bounded; each of them still counts in "needs_reauth".
BOOST_AUTO_TEST_CASE(the_report_lists_at_most_1000_accounts_and_counts_the_rest) {
  DueAccounts world(false);
  auto stored = world.h.store().get("threads/accounts/" + account_name(0));
  BOOST_REQUIRE(stored && stored.value());
  json::object record = json::parse(stored.value()->value).as_object();
  record["status"] = "needs_reauth";
  const std::string marked = json::serialize(record);
  constexpr int extra = 1005; // all needs_reauth: 1,000 listed, 5 counted
  for (int i = 0; i < extra; ++i) {
    auto put = world.h.store().put("threads/accounts/marked" + std::to_string(i), marked, 0);
    BOOST_REQUIRE(put && put->outcome == store::WriteOutcome::written);
  }
  auto job = world.instance->run_job("refresh_tokens");
  BOOST_REQUIRE_MESSAGE(job, (job ? "" : job.error().body));
  const json::object report = json::parse(job.value()).as_object();
  BOOST_TEST(report.at("accounts").as_int64() == accounts + extra);
  BOOST_TEST(report.at("refreshed").as_int64() == accounts);
  BOOST_TEST(report.at("needs_reauth").as_int64() == extra);
  BOOST_TEST(report.at("details").as_array().size() == 1000u);
  BOOST_TEST(report.at("details_omitted").as_int64() == 5);
}

// The sweep reads records one chunk (64 at refresh_concurrency 4) ahead of their claims,
// not all of them first: its memory does not grow with the number of accounts, and no
// record waits long between being read and being claimed.
BOOST_AUTO_TEST_CASE(records_are_read_one_chunk_ahead_of_their_claims) {
  const SweepRun run = sweep_on(false);
  BOOST_TEST(run.report.at("refreshed").as_int64() == accounts);
  BOOST_TEST(run.gets_before_first_batch == 64,
             run.gets_before_first_batch << " records read before the first claim");
}

BOOST_AUTO_TEST_CASE(an_abi_1_0_host_gets_one_write_each_and_every_account_is_refreshed) {
  const SweepRun run = sweep_on(true);
  BOOST_TEST(run.report.at("refreshed").as_int64() == accounts);
  BOOST_TEST(run.report.at("failed").as_int64() == 0);
  BOOST_TEST(run.calls_beyond_size == 0);
  BOOST_TEST(run.batches == 0);
  BOOST_TEST(run.puts == 2 * accounts);
  BOOST_TEST(run.read_batches == 0); // one secret_get a record
  BOOST_TEST(run.gets == accounts);
}

// A refresh that stalls (the sandbox holds its answer for 6 s, then the client retries it)
// holds back neither the answers that came before it nor the requests after it: the first
// chunk is 64 accounts, its claims plus 63 new tokens are written while it hangs (64 + 48 if
// answers waited for a full batch of 16); the next chunk (the other 16 accounts) is read
// and claimed meanwhile, and its requests go out on the connections the stalled one leaves
// free rather than after the first chunk ends: 16 claims and 16 new tokens more.
BOOST_AUTO_TEST_CASE(while_a_refresh_stalls_answers_are_stored_and_the_next_chunk_is_sent) {
  const SweepRun run = sweep_on(false, R"({"group":"refresh","mode":"stall","stall_s":6})",
                                std::chrono::milliseconds(4500));
  BOOST_TEST(run.report.at("refreshed").as_int64() == accounts);
  BOOST_TEST(run.items_within == 64u + 63u + 16u + 16u,
             run.items_within << " items stored before the stall ended");
  BOOST_TEST(run.reads_within == static_cast<std::size_t>(accounts),
             run.reads_within << " records read before the stall ended");
}

// A sweep whose deadline passes (here while one refresh stalls) stops before the next chunk
// and answers AH_CANCELLED with code deadline_exceeded, as abi.h says: the caller's decision
// to stop, not a transient failure. Its report says it is incomplete, and the next run
// refreshes the accounts it did not reach.
BOOST_AUTO_TEST_CASE(a_sweep_past_its_deadline_is_cancelled_and_the_next_run_continues) {
  DueAccounts world(false);
  control("POST", "/__sandbox/faults", R"({"group":"refresh","mode":"stall","stall_s":6})");
  using namespace std::chrono;
  CallOptions options;
  options.deadline_ms =
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + 2000;
  auto stopped = world.instance->run_job("refresh_tokens", options);
  control("DELETE", "/__sandbox/faults");
  BOOST_REQUIRE(!stopped);
  BOOST_TEST(stopped.error().status == AH_CANCELLED, stopped.error().body);
  const json::object report = json::parse(stopped.error().body).as_object();
  BOOST_TEST(report.at("code").as_string() == "deadline_exceeded");
  BOOST_TEST(!report.at("complete").as_bool());
  const std::int64_t reached = report.at("refreshed").as_int64();
  BOOST_TEST(reached < accounts);
  // Only the stalled refresh failed; those the deadline kept from going out (the next
  // chunk, claimed ahead) ended their claims as skipped, with no failure recorded.
  BOOST_TEST(report.at("failed").as_int64() <= 1, json::serialize(report));

  auto next = world.instance->run_job("refresh_tokens");
  BOOST_REQUIRE_MESSAGE(next, (next ? "" : next.error().body));
  const json::object rest = json::parse(next.value()).as_object();
  BOOST_TEST(rest.at("complete").as_bool());
  // All the first run left, but perhaps the one whose refresh the deadline cut.
  BOOST_TEST(rest.at("refreshed").as_int64() >= accounts - reached - 1);
}

// A daemon's instance keeps the account record it read, and reads it again only once its
// version moved: here `autohost invoke threads.refresh_token`, another process on the same
// store, rotates the token while the sandbox revokes the old one. The next call uses the new
// token at once: one request, not a rejected one with the old token and a retry.
BOOST_AUTO_TEST_CASE(a_token_another_process_rotated_is_used_at_the_next_call) {
  CountingHost h(false);
  Cli other; // resets the sandbox
  other.extra_env["AUTOHOST_STORE"] = h.store_file().string();
  other.extra_env["AUTOHOST_MASTER_KEY"] = std::string(64, 'c');
  control("POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");
  const Instance instance = threads_on(h);
  const std::string old_token = sbx::issue_token(sandbox(), R"({"age_s":2678400})");
  BOOST_REQUIRE(instance.invoke(
      "import_token",
      json::serialize(json::object{{"account", "alice"}, {"access_token", old_token}})));
  auto profile = [&] {
    auto r = instance.invoke("profile", "{}");
    BOOST_REQUIRE_MESSAGE(r, (r ? "" : r.error().body));
    return json::parse(r.value()).as_object();
  };
  profile();
  const int gets = h.gets;
  profile();
  BOOST_TEST(h.gets == gets, "an unchanged record was read again");
  BOOST_TEST(h.versions >= 1);

  other.secrets.insert(old_token);
  BOOST_TEST(other.ok("refresh_token", R"({"account":"alice"})").at("outcome").as_string() ==
             "refreshed");
  BOOST_REQUIRE(token_check(old_token) == "revoked");

  const std::int64_t reads = sandbox_stat("read");
  BOOST_TEST(profile().at("username").as_string() == "threadsapitestuser");
  BOOST_TEST(sandbox_stat("read") == reads + 1, "the old token was tried first");
  BOOST_TEST(h.gets == gets + 1);
  auto stored = h.store().get("threads/accounts/alice");
  BOOST_REQUIRE(stored && stored.value());
  BOOST_TEST(json::parse(stored.value()->value).at("access_token").as_string() != old_token);
}
