#include "shardstore/checker/history.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "shardstore/assert.h"

namespace shardstore::checker {
namespace {

using nlohmann::json;

Value ValueOf(const json& v) {
  if (v.is_null()) return std::nullopt;
  return v.is_string() ? v.get<std::string>() : v.dump();
}

json JsonOf(const Value& v) {
  if (!v) return nullptr;
  // Numbers and other JSON values were kept as their JSON text; strings as themselves.
  json parsed = json::parse(*v, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && !parsed.is_string()) return parsed;
  return *v;
}

constexpr const char* kTypes[] = {"invoke", "ok", "fail", "info", "crash"};
constexpr const char* kFunctions[] = {"read", "write", "cas", "exists"};

}  // namespace

StatusOr<History> ParseHistory(std::string_view json_lines, const ParseHistoryOptions& options) {
  History history;
  std::map<uint32_t, size_t> open;  // process → its open invocation
  size_t line_number = 0;
  while (!json_lines.empty()) {
    const size_t end = json_lines.find('\n');
    const std::string_view line = json_lines.substr(0, end);
    json_lines.remove_prefix(end == std::string_view::npos ? json_lines.size() : end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("line " + std::to_string(line_number) + ": " + why);
    };
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
    for (const auto& [field, unused] : j.items()) {
      if (field == "process" || field == "type" || field == "f" || field == "key" ||
          field == "value" || field == "persistent") {
        continue;
      }
      if (options.strict) {
        return bad("unknown field \"" + field +
                   "\" (an event has process, type, f, key, value, persistent)");
      }
      if (options.ignored_fields &&
          std::find(options.ignored_fields->begin(), options.ignored_fields->end(), field) ==
              options.ignored_fields->end()) {
        options.ignored_fields->push_back(field);
      }
    }
    if (j.value("type", "") == "crash") {
      // The power was cut: every open invocation stays open for good.
      Event crash;
      crash.type = EventType::kCrash;
      history.push_back(std::move(crash));
      open.clear();
      continue;
    }
    if (!j.contains("process") || !j["process"].is_number_unsigned()) {
      return bad("\"process\" must be a non-negative integer");
    }
    Event e;
    e.process = j["process"].get<uint32_t>();
    const std::string type = j.value("type", "");
    const std::string f = j.value("f", "");
    bool known_type = false, known_f = false;
    for (int i = 0; i < 4; ++i) {
      if (type == kTypes[i]) e.type = static_cast<EventType>(i), known_type = true;
    }
    for (int i = 0; i < 4; ++i) {
      if (f == kFunctions[i]) e.f = static_cast<OpFunction>(i), known_f = true;
    }
    if (!known_type) return bad("\"type\" must be invoke, ok, fail, info or crash");
    if (!known_f) return bad("\"f\" must be read, write, cas or exists");
    if (j.contains("key")) {
      const json& key = j["key"];
      e.key = key.is_string() ? key.get<std::string>() : key.dump();
    }
    const json value = j.contains("value") ? j["value"] : json(nullptr);
    if (e.f == OpFunction::kCas) {
      if (!value.is_array() || value.size() != 2) return bad("a cas value is [expected, new]");
      e.expected = ValueOf(value[0]);
      e.value = ValueOf(value[1]);
    } else if (e.f == OpFunction::kExists && e.type == EventType::kOk) {
      if (!value.is_boolean()) return bad("an exists completes with true or false");
      e.value = ValueOf(value);
    } else {
      e.value = ValueOf(value);
    }
    if (j.contains("persistent")) {
      if (!j["persistent"].is_boolean()) return bad("\"persistent\" is true or false");
      e.persistent = j["persistent"].get<bool>();
      if (e.persistent && (e.type != EventType::kOk || IsRead(e.f))) {
        return bad("only an ok write or cas can be persistent");
      }
    }
    auto it = open.find(e.process);
    if (e.type == EventType::kInvoke) {
      if (it != open.end()) return bad("process " + std::to_string(e.process) + " invokes twice");
      open[e.process] = history.size();
    } else {
      if (it == open.end()) return bad("a completion with no open invocation of its process");
      const Event& call = history[it->second];
      if (call.f != e.f || call.key != e.key) return bad("a completion of another operation");
      open.erase(it);
    }
    history.push_back(std::move(e));
  }
  return history;
}

json HistoryJson(const History& history) {
  json events = json::array();
  for (const Event& e : history) {
    if (e.type == EventType::kCrash) {
      events.push_back({{"type", "crash"}});
      continue;
    }
    json j{{"process", e.process},
           {"type", kTypes[static_cast<int>(e.type)]},
           {"f", kFunctions[static_cast<int>(e.f)]}};
    if (!e.key.empty()) j["key"] = e.key;
    j["value"] = e.f == OpFunction::kCas ? json::array({JsonOf(e.expected), JsonOf(e.value)})
                                         : JsonOf(e.value);
    if (e.persistent) j["persistent"] = true;
    events.push_back(std::move(j));
  }
  return events;
}

std::string FormatHistory(const History& history) {
  std::string text;
  for (const json& event : HistoryJson(history)) text += event.dump() + "\n";
  return text;
}

size_t HistoryRecorder::Invoke(uint32_t process, OpFunction f, std::string key, Value value,
                               Value expected) {
  history_.push_back(
      {process, EventType::kInvoke, f, std::move(key), std::move(value), std::move(expected)});
  completion_of_.resize(history_.size(), SIZE_MAX);
  return history_.size() - 1;
}

void HistoryRecorder::Complete(size_t operation, EventType outcome, Value value) {
  Event done = history_[operation];
  done.type = outcome;
  if (IsRead(done.f)) done.value = std::move(value);
  history_.push_back(std::move(done));
  completion_of_.resize(history_.size(), SIZE_MAX);
  completion_of_[operation] = history_.size() - 1;
}

void HistoryRecorder::SetKey(size_t operation, std::string key) {
  SS_ASSERT(operation < history_.size() && history_[operation].type == EventType::kInvoke);
  history_[operation].key = std::move(key);
}

void HistoryRecorder::MarkPersistent(size_t operation) {
  SS_ASSERT(operation < completion_of_.size() && completion_of_[operation] != SIZE_MAX);
  Event& done = history_[completion_of_[operation]];
  SS_ASSERT(done.type == EventType::kOk && !IsRead(done.f));
  done.persistent = true;
}

void HistoryRecorder::Crash() {
  Event crash;
  crash.type = EventType::kCrash;
  history_.push_back(std::move(crash));
  completion_of_.resize(history_.size(), SIZE_MAX);
}

}  // namespace shardstore::checker
