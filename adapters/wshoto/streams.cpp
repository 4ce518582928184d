#include "wshoto/streams.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include "core/json_util.hpp"
#include "wshoto/product_page.hpp"
#include "wshoto/spec.hpp"

namespace csync::wshoto {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

// The ids of the product types, as text.
asio::awaitable<Result<std::vector<json>>> fetch_types(Client& client, std::int64_t& requests) {
    auto data = co_await client.call(kTypeListPath, json::object(), requests);
    if (!data.ok()) co_return data.error();
    co_return read_product_types(*data);
}

std::string type_id_of(const json& type) {
    auto it = type.is_object() ? type.find("product_type_id") : type.end();
    if (!type.is_object() || it == type.end()) return {};
    return json_scalar_text(*it).value_or("");
}

class ProductTypesStream final : public StreamSync {
  public:
    explicit ProductTypesStream(std::shared_ptr<Client> client) : client_(std::move(client)) {}

    asio::awaitable<Result<Page>> fetch_page(const json&) override {
        Page page;
        auto types = co_await fetch_types(*client_, page.requests);
        if (!types.ok()) co_return failed_fetch(types.error(), page.requests);
        for (const json& t : *types) {
            auto mapped = map_product_type(t);
            if (auto* letter = std::get_if<DeadLetter>(&mapped)) {
                page.records.dead_letters.push_back(std::move(*letter));
            } else {
                page.records.categories.push_back(std::get<Category>(std::move(mapped)));
            }
        }
        page.cycle_done = true;
        co_return page;
    }

  private:
    std::shared_ptr<Client> client_;
};

// Cursor {"types":[ids],"index":I}: the tree of types[I] is next; null or past the end: a new
// cycle reads the type list first.
class CategoriesStream final : public StreamSync {
  public:
    explicit CategoriesStream(std::shared_ptr<Client> client) : client_(std::move(client)) {}

    asio::awaitable<Result<Page>> fetch_page(const json& cursor) override {
        Page page;
        std::vector<std::string> types;
        std::size_t index = 0;
        if (cursor.is_object() && cursor.contains("types") && cursor["types"].is_array()) {
            for (const json& t : cursor["types"]) types.push_back(json_scalar_text(t).value_or(""));
            index = static_cast<std::size_t>(
                std::max<std::int64_t>(0, json_int(cursor, "index").value_or(0)));
        }
        if (index >= types.size()) {
            auto listed = co_await fetch_types(*client_, page.requests);
            if (!listed.ok()) co_return failed_fetch(listed.error(), page.requests);
            types.clear();
            for (const json& t : *listed) {
                if (auto id = type_id_of(t); !id.empty()) types.push_back(id);
            }
            index = 0;
        }
        if (!types.empty()) {
            json query = json::object();
            query["parent_id"] = parse_int_or_text(types[index]);
            auto data = co_await client_->call(kCategoryPath, std::move(query), page.requests);
            if (!data.ok()) co_return failed_fetch(data.error(), page.requests);
            auto roots = read_category_tree(*data);
            if (!roots.ok()) co_return failed_fetch(roots.error(), page.requests);
            for (json root : *roots) {
                if (root.is_object() && !root.contains("product_type_id")) {
                    root["product_type_id"] = types[index];
                }
                map_category_tree(root, page.records.categories, page.records.dead_letters);
            }
            ++index;
        }
        page.cycle_done = index >= types.size();
        page.next_cursor = json::object();
        page.next_cursor["types"] = types;
        page.next_cursor["index"] = index;
        co_return page;
    }

    // Type ids are numbers on the wire (long).
    static json parse_int_or_text(const std::string& id) {
        if (auto n = parse_unsigned(id)) return *n;
        return id;
    }
    static std::optional<std::int64_t> parse_unsigned(const std::string& text) {
        if (text.empty() || text.size() > 18) return std::nullopt;
        if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        return std::stoll(text);
    }

  private:
    std::shared_ptr<Client> client_;
};

struct PassCursor {
    std::int64_t pass = 0;
    UtcTime pass_start{};
    std::string phase = "done";  // list | confirm | done
    std::vector<std::string> types;
    std::size_t type_index = 0;
    std::string cursor = "0";
    std::int64_t pages = 0;      // pages of the current type's listing so far
    std::int64_t max_pages = 0;  // bound of the current listing, from its first page's total

    json to_json() const {
        return json{{"pass", pass},
                    {"pass_start", format_utc_iso(pass_start)},
                    {"phase", phase},
                    {"types", types},
                    {"type_index", type_index},
                    {"cursor", cursor},
                    {"pages", pages},
                    {"max_pages", max_pages}};
    }

    static Result<PassCursor> from_json(const json& j) {
        PassCursor c;
        if (j.is_null()) return c;
        auto bad = [&](const std::string& why) {
            return Error::config("the products cursor " + j.dump() +
                                 " is not one this version wrote (" + why +
                                 "): reset it with `commerce-syncd reset-cursor ACCOUNT products`");
        };
        if (!j.is_object()) return bad("not an object");
        c.phase = json_text(j, "phase").value_or("");
        if (c.phase != "list" && c.phase != "confirm" && c.phase != "done") {
            return bad("unknown phase");
        }
        c.pass = json_int(j, "pass").value_or(0);
        auto start = parse_utc_iso(json_text(j, "pass_start").value_or(""));
        if (!start && c.phase != "done") return bad("no pass_start");
        if (start) c.pass_start = *start;
        if (auto it = j.find("types"); it != j.end() && it->is_array()) {
            for (const json& t : *it) c.types.push_back(json_scalar_text(t).value_or(""));
        }
        c.type_index = static_cast<std::size_t>(
            std::max<std::int64_t>(0, json_int(j, "type_index").value_or(0)));
        c.cursor = json_text(j, "cursor").value_or("0");
        c.pages = json_int(j, "pages").value_or(0);
        c.max_pages = json_int(j, "max_pages").value_or(0);
        if (c.phase != "done" && c.type_index >= c.types.size()) return bad("no type to list");
        return c;
    }
};

class ProductsStream final : public StreamSync {
  public:
    ProductsStream(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock, int page_size,
                   log::Logger logger)
        : client_(std::move(client)),
          store_(store),
          clock_(clock),
          page_size_(page_size),
          logger_(std::move(logger)) {}

    asio::awaitable<Result<Page>> fetch_page(const json& cursor) override {
        auto parsed = PassCursor::from_json(cursor);
        if (!parsed.ok()) co_return parsed.error();
        PassCursor c = std::move(*parsed);
        Page page;
        if (c.phase == "done") {
            auto started = co_await start_pass(c.pass + 1, page);
            if (!started.ok()) co_return failed_fetch(started.error(), page.requests);
            c = std::move(*started);
            if (c.types.empty()) {
                logger_.info("products pass {}: the account has no product types", c.pass);
                c.phase = "done";
                page.cycle_done = true;
                page.next_cursor = c.to_json();
                co_return page;
            }
        }
        // Not `cond ? co_await a : co_await b`: GCC 12 destroys the chosen result twice there,
        // a double free whenever it holds an error message.
        Status st;
        if (c.phase == "list") {
            st = co_await list_page(c, page);
        } else {
            st = co_await confirm_page(c, page);
        }
        if (!st.ok()) co_return failed_fetch(st.error(), page.requests);
        page.next_cursor = c.to_json();
        co_return page;
    }

  private:
    asio::awaitable<Result<PassCursor>> start_pass(std::int64_t number, Page& page) {
        auto listed = co_await fetch_types(*client_, page.requests);
        if (!listed.ok()) co_return listed.error();
        PassCursor c;
        c.pass = number;
        // Whole seconds, as the store stamps last_seen_at.
        c.pass_start = std::chrono::floor<std::chrono::seconds>(clock_.now());
        c.phase = "list";
        for (const json& t : *listed) {
            if (auto id = type_id_of(t); !id.empty()) c.types.push_back(id);
        }
        logger_.info("products pass {} starts ({} product types)", number, c.types.size());
        co_return c;
    }

    void next_type(PassCursor& c, Page& page) {
        ++c.type_index;
        c.cursor = "0";
        c.pages = 0;
        c.max_pages = 0;
        if (c.type_index >= c.types.size()) {
            logger_.info("products pass {} complete", c.pass);
            c.phase = "done";
            page.cycle_done = true;
        } else {
            c.phase = "list";
        }
    }

    asio::awaitable<Status> list_page(PassCursor& c, Page& page) {
        const std::string& type = c.types[c.type_index];
        auto type_number = CategoriesStream::parse_unsigned(type);
        if (!type_number) {
            co_return Error::bad_response("wshoto products: product_type_id `" + type +
                                          "` is not a whole number");
        }
        auto body = product_list_body(*type_number, c.cursor, page_size_);
        if (!body.ok()) co_return body.error();
        const Client::Reader reader = [this](const HttpResponse& response) -> Result<json> {
            if (Status read = reader_.read(response, client_->codes(), listing_); !read.ok()) {
                return read.error();
            }
            return json();
        };
        auto data =
            co_await client_->call(kProductListPath, std::move(*body), page.requests, reader);
        if (!data.ok()) co_return data.error();
        const std::string scope = type_scope(type);
        for (Product& p : listing_.products) {
            p.scope = scope;
            page.records.products.push_back(std::move(p));
        }
        for (DeadLetter& letter : listing_.dead_letters) {
            page.records.dead_letters.push_back(std::move(letter));
        }
        ++c.pages;
        if (c.pages == 1) c.max_pages = 2 * (listing_.total / page_size_ + 1) + kExtraPages;
        // Only an empty page ends a listing: a short page may be one the platform filtered
        // after paging (the notes leave cursor/current_index semantics open), and an extra
        // call per type is cheap next to a deletion made on a listing that was not complete.
        if (listing_.records == 0) {
            logger_.info("products pass {}: type {} listed ({} pages); confirming unseen products",
                         c.pass, type, c.pages);
            if (store_) {
                c.phase = "confirm";
            } else {
                next_type(c, page);
            }
            co_return Status{};
        }
        if (listing_.next_cursor.empty() || listing_.next_cursor == c.cursor ||
            c.pages >= c.max_pages) {
            // Loop guard: the listing cannot be followed further, so it is not known complete
            // and nothing of this type may be deleted in this pass.
            logger_.warn(
                "products pass {}: type {}: the cursor did not advance after page {} (`{}`); the "
                "type's listing ends incomplete and no product of it is deleted in this pass",
                c.pass, type, c.pages, c.cursor);
            next_type(c, page);
            co_return Status{};
        }
        c.cursor = listing_.next_cursor;
        co_return Status{};
    }

    // After the type's complete listing: ask for its unseen rows one by one.
    asio::awaitable<Status> confirm_page(PassCursor& c, Page& page) {
        const std::string& type = c.types[c.type_index];
        const std::string scope = type_scope(type);
        auto unseen =
            co_await store_->unseen_since("product", scope, c.pass_start, kConfirmPerPage);
        if (!unseen.ok()) co_return unseen.error();
        if (unseen->empty()) {
            next_type(c, page);
            co_return Status{};
        }
        const Client::Reader reader = [codes = client_->codes()](const HttpResponse& r) {
            return read_detail_envelope(r, codes);
        };
        for (const std::string& id : *unseen) {
            json body = json::object();
            body["product_library_id"] = CategoriesStream::parse_int_or_text(id);
            auto data =
                co_await client_->call(kProductDetailPath, std::move(body), page.requests, reader);
            if (!data.ok()) co_return data.error();
            auto product = read_product_detail(*data);
            if (!product) {
                page.records.deleted_product_ids.push_back(id);
                continue;
            }
            auto mapped = map_product(*product);
            if (auto* p = std::get_if<Product>(&mapped); p && p->external_id == id) {
                p->scope = scope;
                page.records.products.push_back(std::move(*p));
            } else {
                // Present but unreadable: it exists, so it only counts as seen.
                page.records.seen_product_ids.push_back(id);
            }
        }
        co_return Status{};
    }

    std::shared_ptr<Client> client_;
    AdapterStore* store_;
    Clock& clock_;
    int page_size_;
    log::Logger logger_;
    ProductPageReader reader_;  // its buffers serve every page
    ProductPage listing_;       // the page last read
};

}  // namespace

std::string type_scope(std::string_view product_type_id) {
    return "type:" + std::string(product_type_id);
}

StreamSyncPtr make_stream_sync(std::shared_ptr<Client> client, AdapterStore* store, Clock& clock,
                               const StreamConfig& stream, log::Logger logger) {
    if (stream.name == kProductTypesStream) {
        return std::make_unique<ProductTypesStream>(std::move(client));
    }
    if (stream.name == kCategoriesStream) {
        return std::make_unique<CategoriesStream>(std::move(client));
    }
    const int page_size =
        stream.page_size > 0 ? std::min(stream.page_size, kMaxPageSize) : kMaxPageSize;
    return std::make_unique<ProductsStream>(std::move(client), store, clock, page_size,
                                            std::move(logger));
}

}  // namespace csync::wshoto
