#pragma once

#include <string>
#include <string_view>

#include "relation.h"

namespace streamhost::pgcdc {

/// Splits one row of `COPY ... TO STDOUT` text format (with or without its
/// newline) into `tuple`, which must already have one Datum per column.
/// `\N` alone is NULL ('n'); other fields are text ('t'), viewed from `row`
/// when they hold no escape, else unescaped into `scratch`. The views live
/// until `row` or `scratch` changes. False when the field count differs.
bool splitCopyRow(std::string_view row, std::string& scratch, Tuple& tuple);

}  // namespace streamhost::pgcdc
