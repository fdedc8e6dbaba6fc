// Two hosts sweep the same 1,000 due accounts at the same moment on one PostgreSQL store:
// two real `autohost job threads.refresh_tokens` processes (own state directories) against
// the sandbox. The accounts are seeded in-process through the real plugin on the host's
// table (1,000 CLI imports would take minutes); then every account must have been
// refreshed exactly once at the sandbox, hold a token the sandbox accepts, and be usable.
#define BOOST_TEST_MODULE refresh_hosts_pg
#include "token_world.hpp"

#include "log.hpp"
#include "pg_cluster.hpp"
#include "services.hpp"
#include "store/sql_secret_store.hpp"

#include <autohost/host.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

using namespace token_test;
using namespace autohost;

BOOST_TEST_GLOBAL_FIXTURE(World);

namespace {

constexpr int accounts = 1000;
constexpr int hosts = 2;
constexpr std::int64_t age_s = 31 * day_s; // every token is due
// Per host; both hosts' sweeps together keep the sandbox and the server busy on two cores.
constexpr const char *plugin_config = R"(, "refresh_concurrency": 16)";

std::string account_name(int i) { return "acct" + std::to_string(i); }
std::string account_key(int i) { return "threads/accounts/" + account_name(i); }

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// The real plugin in this process on the host's table over the shared store: what the
// hosts' `autohost` processes load, used here to seed and to read back.
class InProcessHost {
public:
  InProcessHost(const std::string &location, const fs::path &key_file) {
    auto s = store::SqlSecretStore::open({location, store::KeySource{std::nullopt, key_file}});
    BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().body));
    store_ = std::move(s).value();
    services_ = std::make_unique<host::ServiceTable>("threads", store_.get(), logger_, now_ms);
    auto lib = Library::open(required_env("THREADS_PLUGIN"));
    BOOST_REQUIRE(lib);
    const std::string config = json::serialize(json::object{{"graph_base_url", sandbox().base_url},
                                                            {"oauth_base_url", sandbox().base_url},
                                                            {"ca_file", sandbox().ca_file}});
    auto created = Instance::create(lib.value(), services_->table(), config);
    BOOST_REQUIRE_MESSAGE(created, (created ? "" : created.error().body));
    instance_.emplace(std::move(created).value());
  }
  ~InProcessHost() {
    instance_.reset();
    std::fclose(log_);
  }

  const Instance &instance() const { return *instance_; }
  json::object record(int i) {
    auto stored = store_->get(account_key(i));
    BOOST_REQUIRE_MESSAGE(stored && stored.value(), account_key(i) << " is not stored");
    return json::parse(stored.value()->value).as_object();
  }

private:
  std::FILE *log_ = std::tmpfile();
  host::Logger logger_{log_, AH_LOG_WARN};
  std::unique_ptr<store::SqlSecretStore> store_;
  std::unique_ptr<host::ServiceTable> services_;
  std::optional<Instance> instance_;
};

// `autohost job threads.refresh_tokens` as host `n` (its own state directory), on a thread.
struct HostJob {
  HostJob(const Cli &c, const fs::path &state_dir, const std::chrono::steady_clock::time_point &go)
      : thread([this, go, env = c.env(), state_dir] {
          ProcessOptions o;
          o.env = env;
          o.env["AUTOHOST_STATE_DIR"] = state_dir.string();
          std::this_thread::sleep_until(go);
          result = run_process(required_env("AUTOHOST_BIN"), {"job", "threads.refresh_tokens"}, o);
        }) {}
  ProcessResult result;
  std::thread thread;
};

} // namespace

BOOST_AUTO_TEST_CASE(two_hosts_refresh_1000_accounts_once_each) {
  PgCluster cluster;
  TempDir keys;
  const fs::path key_file = keys / "master.key";
  Cli c(plugin_config);
  c.extra_env["AUTOHOST_STORE"] = cluster.url();
  c.extra_env["AUTOHOST_MASTER_KEY_FILE"] = key_file.string();
  // A refreshed token's predecessor stops working, as with Meta's revoke on refresh: a
  // second refresh of one account, or an old token kept, shows up as an unusable account.
  control("POST", "/__sandbox/config", R"({"revoke_on_refresh":true})");

  std::vector<std::string> old_tokens;
  {
    InProcessHost seeder(cluster.url(), key_file);
    for (int i = 0; i < accounts; ++i) {
      old_tokens.push_back(c.issue(R"({"age_s":)" + std::to_string(age_s) + "}"));
      auto imported = seeder.instance().invoke(
          "import_token", json::serialize(json::object{{"account", account_name(i)},
                                                       {"access_token", old_tokens.back()}}));
      BOOST_REQUIRE_MESSAGE(imported, (imported ? "" : imported.error().body));
    }
  }
  BOOST_REQUIRE_EQUAL(sandbox_stat("refresh"), 0);

  std::vector<TempDir> state_dirs(hosts);
  const auto go = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<HostJob>> jobs;
  for (int n = 0; n < hosts; ++n)
    jobs.push_back(std::make_unique<HostJob>(c, state_dirs[n] / "state", go));
  std::int64_t refreshed = 0;
  for (auto &job : jobs) {
    job->thread.join();
    c.all_output += job->result.out + job->result.err;
    BOOST_TEST_REQUIRE(job->result.exit_code == 0, job->result.err);
    const auto report = json::parse(job->result.out).as_object();
    BOOST_TEST_MESSAGE("host report: " << job->result.out);
    BOOST_TEST(report.at("failed").as_int64() == 0, job->result.out);
    BOOST_TEST(report.at("needs_reauth").as_int64() == 0, job->result.out);
    refreshed += report.at("refreshed").as_int64();
  }
  BOOST_TEST_MESSAGE("both sweeps took " << std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - started)
                                                .count()
                                         << " ms");
  BOOST_TEST(refreshed == accounts, "the hosts reported " << refreshed << " refreshes");
  BOOST_TEST(sandbox_stat("refresh") == accounts, "an account was refreshed more than once");

  // Every account holds a new token that the sandbox accepts, and nothing is left claimed.
  InProcessHost reader(cluster.url(), key_file);
  for (int i = 0; i < accounts; ++i) {
    const auto record = reader.record(i);
    const std::string token(record.at("access_token").as_string());
    c.secrets.insert(token);
    BOOST_TEST(token != old_tokens[i], account_name(i) << " still holds its old token");
    BOOST_TEST(record.at("status").as_string() == "active", account_name(i));
    BOOST_TEST(record.at("refresh_claimant").as_string().empty(), account_name(i));
    CallOptions as_account;
    const std::string name = account_name(i);
    as_account.account = name;
    auto profile = reader.instance().invoke("profile", "{}", as_account);
    BOOST_TEST(profile.has_value(),
               name << " is unusable: " << (profile ? "" : profile.error().body));
  }
  // A sample through the CLI, as a user would: the stored token works from another process.
  for (int i : {0, accounts / 2, accounts - 1}) {
    auto r = c.invoke("profile", "{}", {"--account", account_name(i)});
    BOOST_TEST(r.exit_code == 0, account_name(i) << ": " << r.err);
  }
  BOOST_TEST(sandbox_stat("refresh") == accounts);
}
