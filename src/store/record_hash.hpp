#pragma once
// Content hashes of normalized records: what decides insert / update / unchanged. A hash covers
// every normalized field plus raw_json, never first/last_seen_at, so a record that comes back
// identical hashes identically. The serialization is length-prefixed (no two different records
// serialize alike) and starts with a format tag: changing it re-hashes every row once, which the
// next sync reports as updates. Pure functions; never throw (except std::bad_alloc).

#include <string>

#include "csync/domain/records.hpp"

namespace csync::store {

std::string record_hash(const Product& product);
std::string record_hash(const Category& category);
std::string record_hash(const Country& country);
std::string record_hash(const StockLevel& stock_level);
std::string record_hash(const Order& order);  // its lines included
std::string record_hash(const Image& image);

// The hash a product takes when a tombstone marks it deleted: derived from its previous hash,
// so that the same record coming back active is seen as an update.
std::string tombstone_hash(const std::string& previous_hash);

}  // namespace csync::store
