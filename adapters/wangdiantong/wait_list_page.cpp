#include "wangdiantong/wait_list_page.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>
#include <utility>

#include "ondemand_page.hpp"
#include "wangdiantong/wire.hpp"

namespace csync::wangdiantong {
namespace {

namespace od = ondemand::od;
using ondemand::each_field;
using ondemand::read_once;
using ondemand::Scalar;

// One id_list element as parse_wait_list reads it: an integer that fits int64, or text that is
// one in full. Anything else is left to the general path (which names it in its error).
bool read_id(od::value value, std::int64_t& id) {
    if (!value.get_int64().get(id)) {
        // get_int64 takes a plain integer literal only; check it as JSON's grammar has it.
        auto token = ondemand::number_token(value);
        return token && *token != "-0" && ondemand::is_integer_literal(*token);
    }
    std::string_view text;
    if (value.get_string().get(text)) return false;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

struct WaitListReader::Impl {
    ondemand::PaddedBuffer buffer;
    od::parser parser;
    std::vector<std::int64_t> sorted;  // a copy of the ids, to find duplicates

    bool read_fast(const HttpResponse& response, WaitList& out);
    bool read_data(od::value value, WaitList& out);
    void drop_duplicates(WaitList& out);
};

WaitListReader::WaitListReader() : impl_(std::make_unique<Impl>()) {}
WaitListReader::~WaitListReader() = default;

Result<WaitList> WaitListReader::read(const HttpResponse& response, std::int64_t received_unix) {
    WaitList list;
    fast_ = impl_->read_fast(response, list);
    if (fast_) return list;
    auto data = read_envelope(response, received_unix);
    if (!data.ok()) return data.error();
    return parse_wait_list(*data);
}

bool WaitListReader::Impl::read_fast(const HttpResponse& response, WaitList& out) {
    if (response.status < 200 || response.status >= 300) return false;
    if (!ondemand::plain_body(response.body)) return false;
    buffer.load(response.body);
    od::document doc;
    od::object root;
    if (parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc) ||
        doc.get_object().get(root)) {
        return false;
    }
    Scalar status;
    bool have_data = false;
    const bool read = each_field(root, [&](std::string_view key, od::value value) {
        if (key == "status") return read_once(value, status, 2);
        if (key == "data") {
            if (have_data) return false;
            have_data = true;
            return read_data(value, out);
        }
        return ondemand::valid(value, 2);
    });
    // A refusal or no status: the general path types it.
    if (!read || !have_data || !ondemand::at_end(doc) || ondemand::int_of(status) != 0) {
        return false;
    }
    drop_duplicates(out);
    return true;
}

bool WaitListReader::Impl::read_data(od::value value, WaitList& out) {
    od::object data;
    if (value.get_object().get(data)) return false;
    bool have_list = false;
    Scalar position;
    const bool read = each_field(data, [&](std::string_view key, od::value field) {
        if (key == "position") {
            return read_once(field, position, 3);
        }
        if (key != "id_list") return ondemand::valid(field, 3);
        if (have_list) return false;
        have_list = true;
        od::array ids;
        if (field.get_array().get(ids)) return false;
        for (auto element : ids) {
            od::value v;
            std::int64_t id = 0;
            if (element.get(v) || !read_id(v, id)) return false;
            out.ids.push_back(id);
        }
        return true;
    });
    if (!read || !have_list) return false;
    out.listed = out.ids.size();
    if (position.kind != Scalar::Kind::null && position.kind != Scalar::Kind::absent) {
        auto p = ondemand::int_of(position);
        if (!p) return false;  // the general path names it
        out.position = *p;
    }
    return true;
}

// The platform's order, each id once (its first place), as parse_wait_list keeps it.
void WaitListReader::Impl::drop_duplicates(WaitList& out) {
    sorted.assign(out.ids.begin(), out.ids.end());
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) return;
    std::unordered_set<std::int64_t> seen;
    std::vector<std::int64_t> unique;
    for (std::int64_t id : out.ids) {
        if (seen.insert(id).second) unique.push_back(id);
    }
    out.ids = std::move(unique);
}

}  // namespace csync::wangdiantong
