#pragma once
// What `commerce-syncd export` shares between the store backends, so that both write the same
// bytes for the same data: the exportable tables with their row order, and the CSV encoding.

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "csync/error.hpp"

namespace csync::store {

// Tables export_table accepts, each with the primary-key order its rows are written in.
const std::vector<std::pair<std::string, std::string>>& export_orders();

// The ORDER BY of `table`, or Error::config naming the tables that can be exported.
Result<std::string> export_order(const std::string& table);

// One CSV line (RFC 4180): fields quoted (quotes doubled) when they hold a separator, quote or
// line break; CRLF line end.
void write_csv_row(std::ostream& out, const std::vector<std::string>& fields);

}  // namespace csync::store
