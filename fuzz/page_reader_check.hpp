#pragma once
// Checks shared by the response fuzz targets: a fast page reader must give what the general path
// gives. A difference aborts, so libFuzzer reports it as a finding.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/json_util.hpp"
#include "csync/domain/records.hpp"

namespace csync::fuzzing {

[[noreturn]] inline void differ(const char* what) {
    std::fprintf(stderr, "fast page reader and general path differ: %s\n", what);
    std::abort();
}

inline void check(bool same, const char* what) {
    if (!same) differ(what);
}

// Both parse to the same JSON (raw bytes on the fast path, dump() on the general one).
inline void check_same_json(const std::string& fast, const std::string& general, const char* what) {
    auto a = parse_json_exact(fast);
    auto b = parse_json_exact(general);
    check(a.ok() && b.ok() && *a == *b, what);
}

inline void check_same_status(const Status& fast, const Status& general) {
    check(fast.ok() == general.ok(), "ok");
    if (!fast.ok()) {
        check(fast.error().kind == general.error().kind, "error kind");
        check(fast.error().message == general.error().message, "error message");
    }
}

inline void check_same_product(const Product& f, const Product& g) {
    check(f.external_id == g.external_id && f.parent_external_id == g.parent_external_id &&
              f.sku == g.sku && f.barcode == g.barcode && f.title == g.title &&
              f.brand == g.brand && f.category_external_id == g.category_external_id &&
              f.currency == g.currency && f.stock == g.stock && f.status == g.status &&
              f.source_modified_at == g.source_modified_at &&
              f.platform_status == g.platform_status && f.price.has_value() == g.price.has_value(),
          "product fields");
    if (f.price) check(f.price->text() == g.price->text(), "price");
    check_same_json(f.raw_json, g.raw_json, "raw_json");
}

inline void check_same_letter(const DeadLetter& f, const DeadLetter& g) {
    check(f.record_key == g.record_key && f.error == g.error, "dead letter");
    check_same_json(f.payload, g.payload, "dead letter payload");
}

}  // namespace csync::fuzzing
