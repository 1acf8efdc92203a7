#include "body.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <streamhost/plugin_sdk.hpp>

namespace streamhost::plugins::webhook {
namespace {

enum class Format { kJson, kNdjson, kForm, kUnsupported };

Format formatOf(std::string_view content_type) {
  std::string base(content_type.substr(0, content_type.find(';')));
  while (!base.empty() && base.back() == ' ') {
    base.pop_back();
  }
  std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::tolower(c); });
  if (base.empty() || base == "application/json" || (base.size() > 5 && base.ends_with("+json"))) {
    return Format::kJson;
  }
  if (base == "application/x-ndjson" || base == "application/jsonl" || base == "application/x-jsonlines" ||
      base == "application/jsonlines") {
    return Format::kNdjson;
  }
  if (base == "application/x-www-form-urlencoded") {
    return Format::kForm;
  }
  return Format::kUnsupported;
}

std::optional<std::string> percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return std::nullopt;
      }
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// Adds one parsed object as a record; false (with the error) when it is not an object or lacks its id.
bool addRecord(const JsonValue& v, std::string_view pointer, const std::string& where,
               std::vector<BodyRecord>& out, BodyError& error) {
  if (!v.isObject()) {
    error = {400, where + "is not a JSON object"};
    return false;
  }
  BodyRecord r;
  r.value = std::string(v.raw);
  if (!pointer.empty()) {
    const JsonValue* id = resolvePointer(v, pointer);
    if (id == nullptr || (id->kind != JsonValue::Kind::kString && id->kind != JsonValue::Kind::kNumber) ||
        (id->isString() && id->text.empty())) {
      error = {400, where + "has no event id (string or number) at " + std::string(pointer)};
      return false;
    }
    r.event_id = id->isString() ? id->text : std::string(id->raw);
  }
  out.push_back(std::move(r));
  return true;
}

BodyError tooMany(size_t max_records) {
  return {413, "the body holds more than " + std::to_string(max_records) +
                   " records (max_records_per_request); split it into smaller requests"};
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The end of the JSON value starting at `pos` (exclusive), found by bracket
/// depth and string quoting alone; the value is checked by parseJson after.
/// npos when the text ends first.
size_t valueEnd(std::string_view s, size_t pos) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = pos; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0) {
        return i;
      }
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return depth == 0 && !in_string ? s.size() : std::string_view::npos;
}

/// A top-level JSON array, one element at a time, so a body of many small
/// elements is refused at element max_records + 1 instead of after a tree of
/// all of them was built.
bool parseArray(std::string_view body, std::string_view pointer, size_t max_records, std::vector<BodyRecord>& out,
                BodyError& error) {
  size_t pos = body.find('[') + 1;
  auto skip = [&] {
    while (pos < body.size() && isSpace(body[pos])) {
      ++pos;
    }
  };
  skip();
  if (pos < body.size() && body[pos] == ']') {
    error = {400, "the JSON array is empty"};
    return false;
  }
  std::string why;
  for (size_t i = 0;; ++i) {
    if (i == max_records) {
      error = tooMany(max_records);
      return false;
    }
    skip();
    size_t end = valueEnd(body, pos);
    if (end == std::string_view::npos || end >= body.size()) {
      error = {400, "malformed JSON body: the array is not closed"};
      return false;
    }
    auto v = parseJson(body.substr(pos, end - pos), &why);
    if (!v) {
      error = {400, "malformed JSON body: element " + std::to_string(i) + ": " + why};
      return false;
    }
    if (!addRecord(*v, pointer, "element " + std::to_string(i) + " ", out, error)) {
      return false;
    }
    pos = end + 1;
    if (body[end] == ']') {
      skip();
      if (pos != body.size()) {
        error = {400, "malformed JSON body: text after the array"};
        return false;
      }
      return true;
    }
  }
}

}  // namespace

std::optional<std::string> formToJson(std::string_view body) {
  std::map<std::string, std::vector<std::string>> fields;
  std::vector<std::string> order;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto name = percentDecode(pair.substr(0, eq));
      auto value = percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      if (!name || !value) {
        return std::nullopt;
      }
      if (fields.find(*name) == fields.end()) {
        order.push_back(*name);
      }
      fields[*name].push_back(std::move(*value));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    pos = amp + 1;
  }
  std::string json = "{";
  for (const auto& name : order) {
    const auto& values = fields[name];
    json += (json.size() > 1 ? "," : "") + sdk::jsonQuote(name) + ":";
    if (values.size() == 1) {
      json += sdk::jsonQuote(values[0]);
      continue;
    }
    json += "[";
    for (size_t i = 0; i < values.size(); ++i) {
      json += (i > 0 ? "," : "") + sdk::jsonQuote(values[i]);
    }
    json += "]";
  }
  return json + "}";
}

std::optional<std::vector<BodyRecord>> parseBody(std::string_view content_type, std::string_view body,
                                                 std::string_view event_pointer, BodyError& error,
                                                 size_t max_records) {
  std::vector<BodyRecord> out;
  std::string why;
  switch (formatOf(content_type)) {
    case Format::kUnsupported:
      error = {415, "unsupported content type '" + std::string(content_type) +
                        "'; send application/json, application/x-ndjson or application/x-www-form-urlencoded"};
      return std::nullopt;
    case Format::kJson: {
      size_t first = body.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && body[first] == '[') {
        if (!parseArray(body, event_pointer, max_records, out, error)) {
          return std::nullopt;
        }
        return out;
      }
      auto v = parseJson(body, &why);
      if (!v) {
        error = {400, "malformed JSON body: " + why};
        return std::nullopt;
      }
      if (!addRecord(*v, event_pointer, "the body ", out, error)) {
        return std::nullopt;
      }
      return out;
    }
    case Format::kNdjson: {
      size_t pos = 0;
      size_t line_no = 0;
      while (pos < body.size()) {
        size_t nl = body.find('\n', pos);
        std::string_view line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? body.size() : nl + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') {
          line.remove_suffix(1);
        }
        if (line.find_first_not_of(" \t") == std::string_view::npos) {
          continue;
        }
        if (out.size() == max_records) {
          error = tooMany(max_records);
          return std::nullopt;
        }
        auto v = parseJson(line, &why);
        std::string where = "line " + std::to_string(line_no) + " ";
        if (!v) {
          error = {400, where + "is malformed JSON: " + why};
          return std::nullopt;
        }
        if (!addRecord(*v, event_pointer, where, out, error)) {
          return std::nullopt;
        }
      }
      if (out.empty()) {
        error = {400, "the NDJSON body holds no records"};
        return std::nullopt;
      }
      return out;
    }
    case Format::kForm: {
      auto json = formToJson(body);
      if (!json) {
        error = {400, "malformed form-urlencoded body"};
        return std::nullopt;
      }
      auto v = parseJson(*json, &why);
      if (!v || !addRecord(*v, event_pointer, "the form ", out, error)) {
        if (!v) {
          error = {400, "malformed form body: " + why};
        }
        return std::nullopt;
      }
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace streamhost::plugins::webhook
