#include "qianmi/items_stream.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>
#include <variant>

#include "core/json_util.hpp"
#include "qianmi/item_page.hpp"
#include "qianmi/spec.hpp"

namespace csync::qianmi {
namespace {

using nlohmann::json;

// How close to our last read of an item its `modified` may be for the read to have missed a
// later edit stamped with the same second: one second plus a generous clock skew.
constexpr std::chrono::seconds kSameStampMargin{300};

std::string trim(std::string s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

// One listing the pass pages through: the items.all.list filters and the order. The whole list
// is the first; a tie group of the order column that straddles a page edge (ties come back in a
// fresh order on every call, so its members can slip from one page to the next) is listed again
// on its own, filtered on that value and ordered by the next column.
struct Partition {
    std::map<std::string, std::string> filters;  // cid / brand_id
    std::string order;                           // "column:asc|desc"

    std::string column() const { return order.substr(0, order.find(':')); }
    json to_json() const { return json{{"filters", filters}, {"order", order}}; }
    static std::optional<Partition> from_json(const json& j) {
        if (!j.is_object() || !j.contains("order") || !j["order"].is_string()) return std::nullopt;
        Partition p;
        p.order = j["order"].get<std::string>();
        if (j.contains("filters") && j["filters"].is_object()) {
            for (const auto& [k, v] : j["filters"].items()) {
                if (!v.is_string()) return std::nullopt;
                p.filters[k] = v.get<std::string>();
            }
        }
        return p;
    }
    bool operator==(const Partition&) const = default;

    // The partition of one straddling value of this one's order column; nullopt when the column
    // cannot be filtered on (num, type_id): such a group is paged again instead.
    std::optional<Partition> child(const std::string& value) const {
        const std::string col = column();
        if (col != "cid" && col != "brand_id") return std::nullopt;
        Partition c;
        c.filters = filters;
        c.filters[col] = value;
        // cid, then brand_id, then num (200-odd values: short tie groups).
        c.order = !c.filters.count("cid")        ? "cid:asc"
                  : !c.filters.count("brand_id") ? "brand_id:asc"
                                                 : "num:asc";
        return c;
    }
    bool splittable() const { return column() == "cid" || column() == "brand_id"; }
};

// Where a pass stands; persisted as the stream's cursor after every page.
struct PassCursor {
    std::int64_t pass = 0;
    UtcTime pass_start{};
    std::string phase = "done";  // list | confirm | fixed | done
    int round = 1;
    std::int64_t page_no = 0;
    std::int64_t max_pages = 0;    // bound of this round, from the first page's total_results
    std::int64_t seen = 0;         // distinct ids this pass has seen
    std::int64_t total = 0;        // total_results of the latest listing page
    std::size_t offset = 0;        // fixed list: ids done
    std::vector<Partition> parts;  // listings still to page; the first is being paged
    int part_round = 1;            // how often the first partition is being paged

    json to_json() const {
        json queue = json::array();
        for (const Partition& p : parts) queue.push_back(p.to_json());
        return json{{"pass", pass},
                    {"pass_start", format_utc_iso(pass_start)},
                    {"phase", phase},
                    {"round", round},
                    {"page_no", page_no},
                    {"max_pages", max_pages},
                    {"seen", seen},
                    {"total", total},
                    {"offset", offset},
                    {"parts", queue},
                    {"part_round", part_round}};
    }

    static Result<PassCursor> from_json(const json& j) {
        PassCursor c;
        if (j.is_null()) return c;
        auto bad = [&](const std::string& why) {
            return Error::config("the items cursor " + j.dump() +
                                 " is not one this version wrote (" + why +
                                 "): reset it with `commerce-syncd reset-cursor ACCOUNT items`");
        };
        if (!j.is_object()) return bad("not an object");
        c.phase = json_text(j, "phase").value_or("");
        if (c.phase != "list" && c.phase != "confirm" && c.phase != "fixed" && c.phase != "done") {
            return bad("unknown phase");
        }
        c.pass = json_int(j, "pass").value_or(0);
        auto start = parse_utc_iso(json_text(j, "pass_start").value_or(""));
        if (!start && c.phase != "done") return bad("no pass_start");
        if (start) c.pass_start = *start;
        c.round = static_cast<int>(json_int(j, "round").value_or(1));
        c.page_no = json_int(j, "page_no").value_or(0);
        c.max_pages = json_int(j, "max_pages").value_or(0);
        c.seen = json_int(j, "seen").value_or(0);
        c.total = json_int(j, "total").value_or(0);
        c.offset =
            static_cast<std::size_t>(std::max<std::int64_t>(0, json_int(j, "offset").value_or(0)));
        c.part_round = static_cast<int>(json_int(j, "part_round").value_or(1));
        if (auto it = j.find("parts"); it != j.end() && it->is_array()) {
            for (const json& p : *it) {
                auto part = Partition::from_json(p);
                if (!part) return bad("unreadable partition");
                c.parts.push_back(std::move(*part));
            }
        }
        if (c.phase == "list" && c.parts.empty()) return bad("no partition to list");
        if (c.page_no < 0 || c.round < 1) return bad("negative position");
        return c;
    }
};

class ItemsStream final : public StreamSync {
  public:
    ItemsStream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                ItemsOptions options, log::Logger logger)
        : client_(std::move(client)),
          store_(store),
          clock_(clock),
          options_(std::move(options)),
          logger_(std::move(logger)) {}

    boost::asio::awaitable<Result<Page>> fetch_page(const json& cursor) override {
        auto parsed = PassCursor::from_json(cursor);
        if (!parsed.ok()) co_return parsed.error();
        PassCursor c = *parsed;
        if (c.phase == "done") {
            c = start_pass(c.pass + 1);
            begin_partition();
        }
        Page page;
        Status st;
        if (c.phase == "list") {
            st = co_await list_page(c, page);
        } else if (c.phase == "confirm") {
            st = co_await confirm_page(c, page);
        } else {
            st = co_await fixed_page(c, page);
        }
        if (!st.ok()) co_return failed_fetch(st.error(), page.requests);
        page.next_cursor = c.to_json();
        co_return page;
    }

  private:
    PassCursor start_pass(std::int64_t number) const {
        PassCursor c;
        c.pass = number;
        // Whole seconds, as the store stamps last_seen_at: every row this pass touches is
        // stamped at or after its start.
        c.pass_start = std::chrono::floor<std::chrono::seconds>(clock_.now());
        c.phase = options_.num_iids.empty() ? "list" : "fixed";
        c.parts = {Partition{{}, options_.order_by}};
        logger_.info("items pass {} starts", number);
        return c;
    }

    boost::asio::awaitable<Result<KnownVersions>> known(const std::vector<std::string>& ids) {
        if (!store_ || ids.empty()) co_return KnownVersions{};
        co_return co_await store_->known_versions("product", kItemsScope, ids);
    }

    // One listing page of the first partition: decide per id, fetch what changed, touch the
    // rest; queue the tie groups that straddle its edges.
    boost::asio::awaitable<Status> list_page(PassCursor& c, Page& page) {
        const Partition part = c.parts.front();
        ListingQuery query;
        query.page_no = c.page_no;
        query.page_size = options_.page_size;
        query.order_by = part.order;
        query.filters.assign(part.filters.begin(), part.filters.end());
        const std::string column = part.column();
        if (part.splittable()) query.fields += "," + column;
        auto params = listing_params(query);
        if (!params.ok()) co_return params.error();
        Result<ListingPage> listing = Error::bad_response("items.all.list: no answer read");
        auto answer =
            co_await client_->call(std::string(kItemsAllList), std::move(*params), page.requests,
                                   [&](const HttpResponse& response) -> Status {
                                       listing = reader_.read_listing(response);
                                       if (!listing.ok()) return listing.error();
                                       return {};
                                   });
        if (!answer.ok()) co_return answer.error();
        page.records.dead_letters = std::move(listing->dead_letters);

        std::vector<std::string> ids;
        std::map<std::string, std::optional<UtcTime>> modified;
        for (const ListingEntry& e : listing->entries) {
            if (modified.emplace(e.num_iid, e.modified).second) ids.push_back(e.num_iid);
        }
        auto stored = co_await known(ids);
        if (!stored.ok()) co_return stored.error();

        std::vector<std::string> changed;
        for (const std::string& id : ids) {
            auto it = stored->find(id);
            const bool new_in_pass = it == stored->end() || !it->second.last_seen_at ||
                                     *it->second.last_seen_at < c.pass_start;
            // Distinct over the pass: an id a committed page of this pass listed already has
            // its last_seen_at at or after the pass's start.
            if (new_in_pass) ++c.seen;
            part_ids_.insert(id);
            const std::optional<UtcTime>& listed = modified[id];
            // `modified` has whole seconds: an edit in the same second as our last read (or
            // within the clocks' skew of it) leaves it as it was, so such an item is read again.
            const bool edited_near_last_read =
                it != stored->end() && listed && it->second.last_seen_at &&
                *listed + kSameStampMargin >= *it->second.last_seen_at;
            if (it == stored->end() || it->second.deleted || !listed ||
                it->second.source_modified_at != listed || edited_near_last_read) {
                changed.push_back(id);
            } else {
                page.records.seen_product_ids.push_back(id);
            }
        }
        if (Status st = co_await fetch_items(changed, modified, page); !st.ok()) co_return st;

        const std::int64_t part_total = listing->total_results;
        if (part.filters.empty()) c.total = part_total;
        const std::int64_t size = options_.page_size;
        const std::int64_t pages = (part_total + size - 1) / size;
        // A listing is bounded by its size when it started: a list that grows while it is
        // paged cannot keep a pass going.
        if (c.page_no == 0) c.max_pages = 2 * pages + 1;
        const bool part_done =
            ids.empty() || c.page_no + 1 >= pages || c.page_no + 1 >= c.max_pages;

        // The order column's values at this page's edges: their tie groups may straddle.
        const auto& entries = listing->entries;
        if (!entries.empty() && part.splittable()) {
            auto value_of = [&](const ListingEntry& e) {
                return column == "cid" ? e.cid : e.brand_id;
            };
            std::vector<std::string> edges;
            if (c.page_no > 0) edges.push_back(value_of(entries.front()));
            if (!part_done) edges.push_back(value_of(entries.back()));
            for (const std::string& value : edges) {
                auto child = value.empty() ? std::nullopt : part.child(value);
                if (child && std::find(c.parts.begin(), c.parts.end(), *child) == c.parts.end()) {
                    c.parts.push_back(std::move(*child));
                }
            }
        }
        if (!part_done) {
            ++c.page_no;
            co_return Status{};
        }
        // A listing that cannot be split further is paged again while it showed fewer ids than
        // it holds (when this process paged all of it, so that the count is known).
        if (part_counted_ && !part.splittable() && pages > 1 &&
            static_cast<std::int64_t>(part_ids_.size()) < part_total &&
            c.part_round <= kMaxRounds) {
            ++c.part_round;
            c.page_no = 0;
            begin_partition();
            co_return Status{};
        }
        c.parts.erase(c.parts.begin());
        c.page_no = 0;
        c.part_round = 1;
        begin_partition();
        if (!c.parts.empty()) co_return Status{};

        if (c.seen < c.total && c.round < kMaxRounds) {
            logger_.info(
                "items pass {}: saw {} distinct ids of {} listed (the listing moved while it was "
                "paged); paging it once more",
                c.pass, c.seen, c.total);
            ++c.round;
            c.parts = {Partition{{}, options_.order_by}};
        } else {
            logger_.info(
                "items pass {}: listing complete ({} ids seen, {} listed); confirming unseen "
                "items",
                c.pass, c.seen, c.total);
            c.phase = store_ ? "confirm" : "done";
            page.cycle_done = !store_;
        }
        co_return Status{};
    }

    void begin_partition() {
        part_ids_.clear();
        part_counted_ = true;
    }

    // After a complete pass: ask for the pass's unseen rows by id, a batch per page.
    boost::asio::awaitable<Status> confirm_page(PassCursor& c, Page& page) {
        auto unseen =
            co_await store_->unseen_since("product", kItemsScope, c.pass_start, kMaxIdsPerBatch);
        if (!unseen.ok()) co_return unseen.error();
        if (unseen->empty()) {
            logger_.info("items pass {} complete", c.pass);
            c.phase = "done";
            page.cycle_done = true;
            co_return Status{};
        }
        auto stored = co_await known(*unseen);
        if (!stored.ok()) co_return stored.error();
        std::map<std::string, std::optional<UtcTime>> modified;
        for (const std::string& id : *unseen) {
            auto it = stored->find(id);
            modified[id] = it == stored->end() ? std::nullopt : it->second.source_modified_at;
        }
        if (Status st = co_await fetch_items(*unseen, modified, page); !st.ok()) co_return st;
        // Every candidate leaves the unseen set with this page: deleted, refreshed, or (when its
        // record could not be mapped) touched.
        for (const std::string& id : *unseen) {
            if (std::find(page.records.deleted_product_ids.begin(),
                          page.records.deleted_product_ids.end(),
                          id) == page.records.deleted_product_ids.end()) {
                page.records.seen_product_ids.push_back(id);
            }
        }
        co_return Status{};
    }

    // The fixed list of `num_iids`, a batch per page.
    boost::asio::awaitable<Status> fixed_page(PassCursor& c, Page& page) {
        const auto& all = options_.num_iids;
        const std::size_t end = std::min(all.size(), c.offset + kMaxIdsPerBatch);
        std::vector<std::string> batch(
            all.begin() + static_cast<std::ptrdiff_t>(std::min(c.offset, all.size())),
            all.begin() + static_cast<std::ptrdiff_t>(end));
        auto stored = co_await known(batch);
        if (!stored.ok()) co_return stored.error();
        std::map<std::string, std::optional<UtcTime>> modified;
        for (const std::string& id : batch) {
            auto it = stored->find(id);
            modified[id] = it == stored->end() ? std::nullopt : it->second.source_modified_at;
        }
        if (Status st = co_await fetch_items(batch, modified, page); !st.ok()) co_return st;
        c.offset = end;
        if (c.offset >= all.size()) {
            c.phase = "done";
            page.cycle_done = true;
        }
        co_return Status{};
    }

    // items.list.get in batches: present ids become rows, ids asked for and absent are gone.
    boost::asio::awaitable<Status> fetch_items(
        const std::vector<std::string>& ids,
        const std::map<std::string, std::optional<UtcTime>>& modified, Page& page) {
        for (std::size_t from = 0; from < ids.size(); from += kMaxIdsPerBatch) {
            std::vector<std::string> batch(ids.begin() + static_cast<std::ptrdiff_t>(from),
                                           ids.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                             ids.size(), from + kMaxIdsPerBatch)));
            auto params = batch_params(batch);
            if (!params.ok()) co_return params.error();
            auto answer =
                co_await client_->call(std::string(kItemsListGet), std::move(*params),
                                       page.requests, [&](const HttpResponse& response) {
                                           return reader_.read_batch(response, modified, rows_);
                                       });
            if (!answer.ok()) co_return answer.error();
            std::set<std::string> present;
            for (BatchRow& row : rows_) {  // the rows asked for: the others are left out
                const std::string& id = row.num_iid;
                const auto m = modified.find(id);
                present.insert(id);
                auto& mapped = row.mapped;
                if (auto* letter = std::get_if<DeadLetter>(&mapped)) {
                    page.records.dead_letters.push_back(std::move(*letter));
                    continue;
                }
                auto& item = std::get<MappedProduct>(mapped);
                item.product.platform_status = item.platform_status;
                item.product.scope = kItemsScope;
                page.records.products.push_back(std::move(item.product));
                if (options_.skus) {
                    if (Status st = co_await fetch_skus(id, m->second, page); !st.ok())
                        co_return st;
                }
            }
            for (const std::string& id : batch) {
                if (present.count(id)) continue;
                page.records.deleted_product_ids.push_back(id);
                // The item is gone, and its SKUs with it.
                if (options_.skus) {
                    // Named, not `{}`: GCC 12 destroys a braced temporary coroutine argument twice.
                    const std::set<std::string> none_kept;
                    if (Status st = co_await delete_stored_skus(id, none_kept, page); !st.ok())
                        co_return st;
                }
            }
        }
        co_return Status{};
    }

    // Tombstones for the stored SKU rows of `num_iid` that `kept` does not name.
    boost::asio::awaitable<Status> delete_stored_skus(const std::string& num_iid,
                                                      const std::set<std::string>& kept,
                                                      Page& page) {
        if (!store_) co_return Status{};
        // Every live row of the item's SKU scope: "not seen since" a day from now.
        const UtcTime any_time =
            std::chrono::floor<std::chrono::seconds>(clock_.now()) + std::chrono::hours{24};
        auto stored =
            co_await store_->unseen_since("product", sku_scope(num_iid), any_time, kMaxSkuRows);
        if (!stored.ok()) co_return stored.error();
        for (const std::string& sku_id : *stored) {
            if (!kept.count(sku_id)) page.records.deleted_product_ids.push_back(sku_id);
        }
        co_return Status{};
    }

    // item.get: each SKU its own row.
    boost::asio::awaitable<Status> fetch_skus(const std::string& num_iid,
                                              std::optional<UtcTime> modified, Page& page) {
        auto body =
            co_await client_->call(std::string(kItemGet), item_params(num_iid), page.requests);
        if (!body.ok()) co_return body.error();
        auto item = read_item(*body);
        if (!item.ok()) co_return item.error();
        if (!*item) co_return Status{};  // gone since the batch read: the next pass decides
        std::set<std::string> listed;
        for (auto& mapped : map_item_skus(**item, modified)) {
            if (auto* letter = std::get_if<DeadLetter>(&mapped)) {
                // Kept as it is stored: a record that cannot be read is not a deletion.
                listed.insert(letter->record_key.substr(letter->record_key.find('=') + 1));
                page.records.dead_letters.push_back(std::move(*letter));
                continue;
            }
            auto& sku = std::get<MappedProduct>(mapped);
            sku.product.platform_status = sku.platform_status;
            sku.product.scope = sku_scope(num_iid);
            listed.insert(sku.product.external_id);
            page.records.products.push_back(std::move(sku.product));
        }
        // SKUs the item no longer has.
        co_return co_await delete_stored_skus(num_iid, listed, page);
    }

    std::shared_ptr<Client> client_;
    AdapterStore* store_;
    Clock& clock_;
    ItemsOptions options_;
    ItemPageReader reader_;       // its buffers serve every page
    std::vector<BatchRow> rows_;  // one batch's rows, reused
    log::Logger logger_;
    // Ids this process saw in the current partition (a restart forgets them: that partition is
    // then not recounted).
    std::set<std::string> part_ids_;
    bool part_counted_ = false;
};

}  // namespace

ItemsOptions items_options(const StreamConfig& stream) {
    ItemsOptions o;
    if (stream.page_size > 0) o.page_size = std::min(stream.page_size, kMaxPageSize);
    if (auto it = stream.options.find(kOrderByOption);
        it != stream.options.end() && !it->second.empty()) {
        o.order_by = it->second;
    }
    if (auto it = stream.options.find(kSkusOption); it != stream.options.end()) {
        o.skus = it->second == "true";
    }
    if (auto it = stream.options.find(kNumIidsOption); it != stream.options.end()) {
        std::string rest = it->second;
        std::set<std::string> unique;
        for (std::size_t pos = 0; pos <= rest.size();) {
            const auto comma = rest.find(',', pos);
            std::string id = trim(
                rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
            if (!id.empty() && unique.insert(id).second) o.num_iids.push_back(id);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    return o;
}

StreamSyncPtr make_items_stream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                                ItemsOptions options, log::Logger logger) {
    return std::make_unique<ItemsStream>(std::move(client), store, clock, std::move(options),
                                         std::move(logger));
}

}  // namespace csync::qianmi
