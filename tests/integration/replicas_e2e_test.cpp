// Replicas: three real commerce-syncd processes share one PostgreSQL store and twelve simulated
// accounts on every platform, while the platforms' data changes and replicas are killed -9 and
// restarted at random. At the end every account equals its simulator's truth, no row is
// duplicated, and every page commit happened under an unexpired lease held by the replica that
// committed it (an audit trigger records each commit with the committing connection's
// application_name, which a replica sets to its id, and the lease row it saw). As the store's
// fence does, the lease is judged at the start of the commit's transaction: the fence then locks
// the lease row, so no other replica can take it before the commit ends.
// Built twice: label `integration` (about 20 s of chaos) and, with CSYNC_REPLICAS_SOAK, `soak`.
#include <signal.h>

#include <functional>
#include <iostream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "harness.hpp"
#include "replica/replica_pg_fixture.hpp"

namespace csync::it {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

#ifdef CSYNC_REPLICAS_SOAK
constexpr auto kChaosFor = 70s;
constexpr int kRecords = 400;
#define CSYNC_REPLICAS_TEST(name) TEST(ReplicasSoak, name)
#else
constexpr auto kChaosFor = 20s;
constexpr int kRecords = 120;
#define CSYNC_REPLICAS_TEST(name) TEST(Replicas, name)
#endif
constexpr int kReplicas = 3;
constexpr const char* kLease = "2s";

// A number as text without the zeros a numeric column adds ("12.50" and "12.5" are equal).
std::string canonical_number(std::string text) {
    if (text.find('.') == std::string::npos) return text;
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
}

std::string scalar_text(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

// One account's platform: how to start its simulator, configure it, and compare its records.
struct Platform {
    std::string name;
    std::vector<std::string> sim_args;
    std::string setup_path;  // control call after start-up ("" none)
    std::string account_yaml;
    std::string base_path;
    std::string table;
    std::string live_filter;  // SQL condition of live rows ("" all)
    std::string content_sql;  // one text per stored record
    std::function<std::pair<std::string, std::string>(const json&)> truth;  // id -> content
};

std::vector<Platform> platforms() {
    return {
        {"sunsky",
         {"--key", "rk", "--secret", "rs", "--rate-limit", "0"},
         "",
         "    credentials: { key: rk, secret: rs }\n"
         "    streams: { products: { page_size: 20, interval: 1s } }\n",
         "",
         "products",
         "",
         "price::text || '|' || stock::text",
         [](const json& r) {
             return std::pair{
                 r.at("itemNo").get<std::string>(),
                 canonical_number(scalar_text(r.at("price"))) + "|" + scalar_text(r.at("stock"))};
         }},
        {"wangdiantong",
         {"--sid", "rsid", "--key", "rkey", "--appsecret", "rsec:rsalt", "--rate-limit", "0"},
         "/__sim/reading?lease=off",
         "    credentials: { sid: rsid, key: rkey, appsecret: \"rsec:rsalt\" }\n"
         "    ack: true\n"
         "    streams: { stock: { page_size: 50, interval: 1s } }\n",
         "",
         "stock_levels",
         "",
         "quantity::text",
         [](const json& r) {
             return std::pair{std::to_string(r.at("rec_id").get<long long>()),
                              canonical_number(scalar_text(r.at("syn_stock")))};
         }},
        {"qianmi",
         {"--rate-limit", "0", "--cred", "app_key=rak", "--cred", "app_secret=ras", "--cred",
          "access_token=rat", "--cred", "refresh_token=rrt"},
         "/__sim/qianmi/readings?old_refresh=until_used",
         "    token_url: {sim}/token\n"
         "    credentials: { app_key: rak, app_secret: ras, access_token: rat, refresh_token: "
         "rrt }\n"
         "    streams: { items: { interval: 1s } }\n",
         "/api",
         "products",
         "scope = 'items' AND status <> 'deleted'",
         "price::text || '|' || stock::text",
         [](const json& r) {
             return std::pair{
                 r.at("num_iid").get<std::string>(),
                 canonical_number(scalar_text(r.at("price"))) + "|" + scalar_text(r.at("num"))};
         }},
        {"wshoto",
         {"--rate-limit", "0", "--cred", "appid=rapp", "--cred", "app_secret=rsecret"},
         "/__sim/wshoto/readings?token_calls_per_minute=0",
         "    token_min_interval: 100ms\n"
         "    credentials: { appid: rapp, app_secret: rsecret }\n"
         "    streams: { products: { interval: 1s } }\n",
         "",
         "products",
         "status <> 'deleted'",
         "sku || '|' || title",
         [](const json& r) {
             return std::pair{
                 r.at("product_library_id").dump(),
                 r.at("product_code").get<std::string>() + "|" + r.at("name").get<std::string>()};
         }},
    };
}

struct Account {
    std::string name;
    const Platform* platform = nullptr;
    std::unique_ptr<TempDir> dir;  // each simulator writes its port file in its own folder
    std::unique_ptr<Simulator> sim;
};

// Records each cursor commit (one per page) with who committed it and the lease it saw.
constexpr const char* kAuditSql = R"sql(
CREATE TABLE page_audit (
    id bigserial PRIMARY KEY, account text, stream text, committer text,
    owner text, token bigint, lease_expires_at timestamptz,
    tx_started timestamptz NOT NULL DEFAULT now(),
    at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION audit_page() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO page_audit (account, stream, committer, owner, token, lease_expires_at)
    SELECT NEW.account, NEW.stream, current_setting('application_name'), l.owner, l.token,
           l.expires_at
    FROM (SELECT 1) one LEFT JOIN account_leases l ON l.account = NEW.account;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_page AFTER INSERT OR UPDATE ON sync_state
    FOR EACH ROW EXECUTE FUNCTION audit_page();
)sql";

class ReplicaSet {
  public:
    ReplicaSet(const TempDir& dir, const fs::path& config) : dir_(dir), config_(config) {}

    void start(int i) {
        procs_[i] = std::make_unique<Process>(
            std::vector<std::string>{syncd_bin(), "run", "-c", config_.string()},
            dir_ / ("replica-" + std::to_string(i) + "-" + std::to_string(++starts_) + ".log"));
    }
    void kill(int i) {
        if (procs_[i]) {
            procs_[i]->signal(SIGKILL);
            procs_[i]->wait(10s);
            procs_[i].reset();
        }
    }
    bool running(int i) const { return procs_[i] != nullptr; }
    void stop_all() {
        for (auto& p : procs_) {
            if (!p) continue;
            p->signal(SIGTERM);
            auto code = p->wait(15s);
            const std::string out = p->output();
            EXPECT_EQ(code.value_or(-1), 0)
                << out.substr(out.size() > 6000 ? out.size() - 6000 : 0);
            p.reset();
        }
    }
    std::string outputs() const {
        std::string out;
        for (const auto& p : procs_) {
            if (p) out += p->output().substr(0, 4000) + "\n----\n";
        }
        return out;
    }

  private:
    const TempDir& dir_;
    fs::path config_;
    std::unique_ptr<Process> procs_[kReplicas];
    int starts_ = 0;
};

std::string query_text(const std::string& dsn, const std::string& sql) {
    pqxx::connection c(dsn);
    pqxx::read_transaction tx(c);
    auto r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
}

std::map<std::string, std::string> stored_content(const std::string& dsn, const Account& a) {
    pqxx::connection c(dsn);
    pqxx::read_transaction tx(c);
    const Platform& p = *a.platform;
    auto rows = tx.exec("SELECT external_id, " + p.content_sql + " FROM " + p.table +
                        " WHERE account = " + tx.quote(a.name) +
                        (p.live_filter.empty() ? "" : " AND " + p.live_filter));
    std::map<std::string, std::string> out;
    for (const auto& row : rows) {
        // Numbers compare canonically ("12.50" is "12.5"); wshoto's parts are text.
        std::string canon;
        std::stringstream parts(row[1].as<std::string>());
        for (std::string part; std::getline(parts, part, '|');) {
            if (!canon.empty()) canon += '|';
            canon += p.name == "wshoto" ? part : canonical_number(part);
        }
        out[row[0].as<std::string>()] = canon;
    }
    return out;
}

std::map<std::string, std::string> truth_content(Account& a) {
    std::map<std::string, std::string> out;
    for (const auto& r : a.sim->truth_records()) out.insert(a.platform->truth(r));
    return out;
}

CSYNC_REPLICAS_TEST(KilledReplicasLoseNothingAndNoPageCommitsWithoutTheLease) {
    auto db = test::PgSchema::create(/*migrate=*/false);
    if (!db) GTEST_SKIP() << test::PgSchema::skip_reason();
    TempDir dir;
    const auto kinds = platforms();
    std::vector<Account> accounts;
    std::string accounts_yaml;
    for (int i = 0; i < 12; ++i) {
        Account a;
        a.platform = &kinds[static_cast<std::size_t>(i) % kinds.size()];
        a.name = a.platform->name + "-" + std::to_string(i);
        a.dir = std::make_unique<TempDir>();
        auto args = a.platform->sim_args;
        args.insert(args.end(),
                    {"--seed", std::to_string(100 + i), "--products", std::to_string(kRecords)});
        a.sim = std::make_unique<Simulator>(*a.dir, a.platform->name, args);
        if (!a.platform->setup_path.empty()) a.sim->post_json(a.platform->setup_path);
        std::string yaml = a.platform->account_yaml;
        for (auto at = yaml.find("{sim}"); at != std::string::npos; at = yaml.find("{sim}")) {
            yaml.replace(at, 5, a.sim->base_url());
        }
        accounts_yaml += "  - name: " + a.name + "\n    platform: " + a.platform->name +
                         "\n    base_url: " + a.sim->base_url() + a.platform->base_path +
                         "\n    rate_limit: { per_second: 500, burst: 100 }\n"
                         "    request_timeout: 2s\n" +
                         yaml;
        accounts.push_back(std::move(a));
    }
    const fs::path config = dir / "config.yaml";
    write_file(config, "store: { backend: postgres, dsn: \"" + db->dsn() +
                           "\" }\n"
                           "http: { listen: \"127.0.0.1:0\" }\n"
                           "replicas: { lease: " +
                           kLease + " }\naccounts:\n" + accounts_yaml);
    auto migrated = run({syncd_bin(), "migrate", "-c", config.string()}, 120s);
    ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
    {
        pqxx::connection c(db->dsn());
        pqxx::work tx(c);
        tx.exec(kAuditSql);
        tx.commit();
    }

    ReplicaSet replicas(dir, config);
    for (int i = 0; i < kReplicas; ++i) replicas.start(i);
    std::mt19937 rng(20261201);
    int kills = 0;
    const auto chaos_end = std::chrono::steady_clock::now() + kChaosFor;
    while (std::chrono::steady_clock::now() < chaos_end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500));
        // The platforms' data keeps changing under the sync.
        for (int n = 0; n < 3; ++n) {
            accounts[rng() % accounts.size()].sim->post_json("/__sim/mutate?count=" +
                                                             std::to_string(1 + rng() % 8));
        }
        const int victim = static_cast<int>(rng() % kReplicas);
        if (replicas.running(victim)) {
            if (rng() % 3 == 0) {
                replicas.kill(victim);
                ++kills;
            }
        } else {
            replicas.start(victim);
        }
    }
    for (int i = 0; i < kReplicas; ++i) {
        if (!replicas.running(i)) replicas.start(i);
    }
    // Quiet platforms: the replicas must now converge on the truth.
    bool converged = eventually(
        [&] {
            for (auto& a : accounts) {
                if (stored_content(db->dsn(), a) != truth_content(a)) return false;
            }
            return true;
        },
        90s);
    for (auto& a : accounts) {
        const auto truth = truth_content(a);
        const auto stored = stored_content(db->dsn(), a);
        EXPECT_FALSE(truth.empty()) << a.name;
        EXPECT_EQ(stored.size(), truth.size()) << a.name;
        int differing = 0;
        for (const auto& [id, content] : truth) {
            auto it = stored.find(id);
            if ((it == stored.end() || it->second != content) && ++differing <= 3) {
                ADD_FAILURE() << a.name << " record " << id << ": stored "
                              << (it == stored.end() ? "(missing)" : it->second) << ", truth "
                              << content;
            }
        }
    }
    EXPECT_TRUE(converged) << replicas.outputs();
    // The tables' keys, grouped: a second row of one record would show here.
    for (const std::string key : {"products GROUP BY account, external_id",
                                  "stock_levels GROUP BY account, external_id, warehouse"}) {
        EXPECT_EQ(query_text(db->dsn(), "SELECT count(*) FROM (SELECT 1 FROM " + key +
                                            " HAVING count(*) > 1) d"),
                  "0")
            << "duplicate rows: " << key;
    }
    const std::string pages = query_text(db->dsn(), "SELECT count(*) FROM page_audit");
    EXPECT_GT(std::stoll(pages), 12) << "every account committed pages";
    EXPECT_EQ(query_text(db->dsn(),
                         "SELECT count(*) FROM page_audit WHERE owner IS NULL OR committer <> "
                         "'commerce-syncd:' || owner OR lease_expires_at <= tx_started"),
              "0")
        << "pages committed without the committer's unexpired lease:\n"
        << query_text(
               db->dsn(),
               "SELECT string_agg(account || ' ' || committer || ' owner=' || "
               "coalesce(owner, '-'), E'\\n') FROM (SELECT * FROM page_audit WHERE owner IS "
               "NULL OR committer <> 'commerce-syncd:' || owner OR lease_expires_at <= tx_started "
               "LIMIT 10) bad");
    // Every account changed hands at least once: killed replicas' leases were taken over.
    const std::string acquisitions =
        query_text(db->dsn(), "SELECT count(*) FROM lease_events WHERE event = 'acquired'");
    std::cout << "replicas: " << kills << " kills, " << pages << " page commits, " << acquisitions
              << " lease acquisitions\n";
    if (kills > 0) {
        EXPECT_GT(std::stoll(acquisitions), 12);
    }
    replicas.stop_all();
    EXPECT_EQ(query_text(db->dsn(),
                         "SELECT count(*) FROM account_leases WHERE expires_at > now() AND owner "
                         "IS NOT NULL"),
              "0")
        << "a clean stop gives every lease back";
}

}  // namespace
}  // namespace csync::it
