#include "shardstore/checker/results.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace shardstore::checker {

using nlohmann::json;

namespace {

// The value at `key`, of JSON type `type`, or an error naming the field.
template <typename T>
Status Field(const json& object, const char* key, T* out) {
  const auto it = object.find(key);
  if (it == object.end()) return Status::InvalidArgument(std::string("no \"") + key + "\" field");
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    return Status::InvalidArgument(std::string("the \"") + key + "\" field has the wrong type");
  }
  return Status::Ok();
}

json ShardJson(const Shard& shard) {
  return {{"index", shard.index}, {"count", shard.count}, {"source", shard.source}};
}

Status ShardFrom(const json& object, Shard* shard) {
  json value;
  if (Status s = Field(object, "shard", &value); !s.ok()) return s;
  if (!value.is_object()) return Status::InvalidArgument("\"shard\" is not an object");
  uint64_t index = 0, count = 0;
  if (Status s = Field(value, "index", &index); !s.ok()) return s;
  if (Status s = Field(value, "count", &count); !s.ok()) return s;
  if (count == 0 || count > kShardsMax || index >= count) {
    return Status::InvalidArgument("shard " + std::to_string(index) + "/" + std::to_string(count) +
                                   " is out of range");
  }
  shard->index = static_cast<uint32_t>(index);
  shard->count = static_cast<uint32_t>(count);
  shard->source = value.value("source", "");
  return Status::Ok();
}

Status BuildFrom(const json& object, BuildInfo* build) {
  if (Status s = Field(object, "commit", &build->commit); !s.ok()) return s;
  return Field(object, "build_type", &build->build_type);
}

}  // namespace

std::string NormalizeViolation(std::string_view violation) {
  std::string out;
  bool in_number = false;
  char quote = 0;
  for (const char c : violation) {
    if (quote != 0) {
      if (c == quote) {
        out += "<text>";
        out += c;
        quote = 0;
      }
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      if (!in_number) out += '#';
      in_number = true;
      continue;
    }
    in_number = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string FindingSignature(const FindingRecord& finding) {
  uint64_t hash = 0;
  for (const std::string& part : {finding.suite, finding.harness, finding.kind,
                                  NormalizeViolation(finding.violation), finding.shape}) {
    hash = HashText(part, hash);
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

json ToJson(const FindingRecord& f) {
  json out = {{"record", "finding"},
          {"schema", kResultsSchema},
          {"suite", f.suite},
          {"harness", f.harness},
          {"kind", f.kind},
          {"violation", f.violation},
          {"signature", f.signature},
          {"campaign_seed", f.campaign_seed},
          {"sequence", f.sequence},
          {"seed", f.seed},
          {"shard", ShardJson(f.shard)},
          {"bug", f.bug.empty() ? json(nullptr) : json(f.bug)},
          {"commit", f.build.commit},
          {"build_type", f.build.build_type},
          {"replay", f.replay},
          {"token", f.token},
          {"strategy", f.strategy.empty() ? json(nullptr) : json(f.strategy)},
          {"steps", f.steps},
          {"length",
           {{"found", f.found_length}, {"minimized", f.minimized_length}, {"unit", f.length_unit}}},
          {"gtest", f.gtest.empty() ? json(nullptr) : json(f.gtest)},
          {"shape", f.shape},
          {"swarm", f.swarm},
          {"found_after",
           {{"sequences", f.found_after_sequences}, {"seconds", f.found_after_seconds}}}};
  if (f.failed_step >= 0) out["failed_step"] = f.failed_step;
  if (!f.step_results.is_null()) out["step_results"] = f.step_results;
  if (!f.power_cut.is_null()) out["power_cut"] = f.power_cut;
  if (!f.timeline.is_null()) out["timeline"] = f.timeline;
  if (!f.history.is_null()) out["history"] = f.history;
  if (!f.sizes.is_null()) out["sizes"] = f.sizes;
  return out;
}

StatusOr<FindingRecord> FindingFromJson(const json& j) {
  FindingRecord f;
  SS_RETURN_IF_ERROR(Field(j, "suite", &f.suite));
  SS_RETURN_IF_ERROR(Field(j, "harness", &f.harness));
  SS_RETURN_IF_ERROR(Field(j, "kind", &f.kind));
  SS_RETURN_IF_ERROR(Field(j, "violation", &f.violation));
  SS_RETURN_IF_ERROR(Field(j, "signature", &f.signature));
  SS_RETURN_IF_ERROR(Field(j, "campaign_seed", &f.campaign_seed));
  SS_RETURN_IF_ERROR(Field(j, "sequence", &f.sequence));
  SS_RETURN_IF_ERROR(Field(j, "seed", &f.seed));
  SS_RETURN_IF_ERROR(ShardFrom(j, &f.shard));
  SS_RETURN_IF_ERROR(BuildFrom(j, &f.build));
  SS_RETURN_IF_ERROR(Field(j, "replay", &f.replay));
  SS_RETURN_IF_ERROR(Field(j, "token", &f.token));
  SS_RETURN_IF_ERROR(Field(j, "steps", &f.steps));
  SS_RETURN_IF_ERROR(Field(j, "shape", &f.shape));
  json length;
  SS_RETURN_IF_ERROR(Field(j, "length", &length));
  SS_RETURN_IF_ERROR(Field(length, "found", &f.found_length));
  SS_RETURN_IF_ERROR(Field(length, "minimized", &f.minimized_length));
  SS_RETURN_IF_ERROR(Field(length, "unit", &f.length_unit));
  if (j.contains("bug") && j["bug"].is_string()) f.bug = j["bug"].get<std::string>();
  if (j.contains("strategy") && j["strategy"].is_string()) {
    f.strategy = j["strategy"].get<std::string>();
  }
  if (j.contains("gtest") && j["gtest"].is_string()) f.gtest = j["gtest"].get<std::string>();
  if (j.contains("swarm") && j["swarm"].is_object()) {
    SS_RETURN_IF_ERROR(Field(j, "swarm", &f.swarm));
  }
  if (j.contains("found_after") && j["found_after"].is_object()) {
    SS_RETURN_IF_ERROR(Field(j["found_after"], "sequences", &f.found_after_sequences));
    SS_RETURN_IF_ERROR(Field(j["found_after"], "seconds", &f.found_after_seconds));
  }
  if (j.contains("failed_step")) SS_RETURN_IF_ERROR(Field(j, "failed_step", &f.failed_step));
  const std::pair<const char*, json*> reported[] = {{"step_results", &f.step_results},
                                                    {"power_cut", &f.power_cut},
                                                    {"timeline", &f.timeline},
                                                    {"history", &f.history},
                                                    {"sizes", &f.sizes}};
  for (const auto& [key, field] : reported) {
    if (j.contains(key)) *field = j[key];
  }
  return f;
}

void HarnessTotals::Add(const HarnessTotals& other) {
  sequences += other.sequences;
  ops += other.ops;
  crash_states += other.crash_states;
  steps += other.steps;
  findings += other.findings;
  repeats += other.repeats;
  determinism_checks += other.determinism_checks;
  seconds += other.seconds;
}

json ToJson(const SummaryRecord& s) {
  json harnesses = json::object();
  for (const auto& [name, t] : s.harnesses) {
    harnesses[name] = {{"sequences", t.sequences},
                       {"ops", t.ops},
                       {"crash_states", t.crash_states},
                       {"steps", t.steps},
                       {"findings", t.findings},
                       {"repeats", t.repeats},
                       {"determinism_checks", t.determinism_checks},
                       {"seconds", t.seconds}};
  }
  return {{"record", "summary"},
          {"schema", kResultsSchema},
          {"suite", s.suite},
          {"shard", ShardJson(s.shard)},
          {"campaign_seed", s.campaign_seed},
          {"bug", s.bug.empty() ? json(nullptr) : json(s.bug)},
          {"commit", s.build.commit},
          {"build_type", s.build.build_type},
          {"iterations", s.iterations},
          {"time_budget_seconds", s.time_budget_seconds},
          {"stopped_by", s.stopped_by},
          {"seconds", s.seconds},
          {"harnesses", harnesses},
          {"coverage", {{"ops", s.op_coverage}, {"paths", s.path_coverage}}},
          {"findings", s.findings},
          {"swarm", s.swarm}};
}

StatusOr<SummaryRecord> SummaryFromJson(const json& j) {
  SummaryRecord s;
  SS_RETURN_IF_ERROR(Field(j, "suite", &s.suite));
  SS_RETURN_IF_ERROR(ShardFrom(j, &s.shard));
  SS_RETURN_IF_ERROR(Field(j, "campaign_seed", &s.campaign_seed));
  SS_RETURN_IF_ERROR(BuildFrom(j, &s.build));
  SS_RETURN_IF_ERROR(Field(j, "iterations", &s.iterations));
  SS_RETURN_IF_ERROR(Field(j, "time_budget_seconds", &s.time_budget_seconds));
  SS_RETURN_IF_ERROR(Field(j, "stopped_by", &s.stopped_by));
  SS_RETURN_IF_ERROR(Field(j, "seconds", &s.seconds));
  SS_RETURN_IF_ERROR(Field(j, "findings", &s.findings));
  if (j.contains("bug") && j["bug"].is_string()) s.bug = j["bug"].get<std::string>();
  json harnesses, coverage;
  SS_RETURN_IF_ERROR(Field(j, "harnesses", &harnesses));
  if (!harnesses.is_object()) return Status::InvalidArgument("\"harnesses\" is not an object");
  for (const auto& [name, t] : harnesses.items()) {
    HarnessTotals& totals = s.harnesses[name];
    SS_RETURN_IF_ERROR(Field(t, "sequences", &totals.sequences));
    SS_RETURN_IF_ERROR(Field(t, "ops", &totals.ops));
    SS_RETURN_IF_ERROR(Field(t, "crash_states", &totals.crash_states));
    SS_RETURN_IF_ERROR(Field(t, "steps", &totals.steps));
    SS_RETURN_IF_ERROR(Field(t, "findings", &totals.findings));
    SS_RETURN_IF_ERROR(Field(t, "determinism_checks", &totals.determinism_checks));
    if (t.contains("repeats")) SS_RETURN_IF_ERROR(Field(t, "repeats", &totals.repeats));
    SS_RETURN_IF_ERROR(Field(t, "seconds", &totals.seconds));
  }
  SS_RETURN_IF_ERROR(Field(j, "coverage", &coverage));
  SS_RETURN_IF_ERROR(Field(coverage, "ops", &s.op_coverage));
  SS_RETURN_IF_ERROR(Field(coverage, "paths", &s.path_coverage));
  if (j.contains("swarm") && j["swarm"].is_object()) {
    SS_RETURN_IF_ERROR(Field(j, "swarm", &s.swarm));
  }
  return s;
}

std::string ResultsFileName(std::string_view suite, const Shard& shard) {
  return std::string(suite) + "-shard-" + std::to_string(shard.index) + "-of-" +
         std::to_string(shard.count) + ".jsonl";
}

StatusOr<ResultsWriter> ResultsWriter::Open(const std::string& dir, std::string_view suite,
                                            const Shard& shard, uint64_t campaign_seed) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IOError("cannot create " + dir + ": " + error.message());
  const std::string path = (std::filesystem::path(dir) / ResultsFileName(suite, shard)).string();
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  ResultsWriter writer(path, file);
  const BuildInfo build = ThisBuild();
  const Status status = writer.WriteLine({{"record", "start"},
                                          {"schema", kResultsSchema},
                                          {"suite", suite},
                                          {"shard", ShardJson(shard)},
                                          {"campaign_seed", campaign_seed},
                                          {"commit", build.commit},
                                          {"build_type", build.build_type}});
  if (!status.ok()) return status;
  return writer;
}

ResultsWriter::ResultsWriter(ResultsWriter&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_) {
  other.file_ = nullptr;
}

ResultsWriter::~ResultsWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status ResultsWriter::WriteLine(const json& record) {
  const std::string line = record.dump() + "\n";
  if (file_ == nullptr || std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fflush(file_) != 0) {
    return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ResultsWriter::Write(const FindingRecord& finding) { return WriteLine(ToJson(finding)); }

Status ResultsWriter::Close(const SummaryRecord& summary) {
  const Status status = WriteLine(ToJson(summary));
  if (file_ != nullptr && std::fclose(file_) != 0 && status.ok()) {
    file_ = nullptr;
    return Status::IOError("cannot close " + path_ + ": " + std::strerror(errno));
  }
  file_ = nullptr;
  return status;
}

}  // namespace shardstore::checker
