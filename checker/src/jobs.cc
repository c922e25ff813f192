#include "shardstore/checker/jobs.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "shardstore/checker/results.h"

extern char** environ;

namespace shardstore::checker {
namespace {

uint64_t ReadCount(const std::string& path) {
  std::ifstream in(path);
  uint64_t count = 0;
  in >> count;
  return count;
}

uint64_t CountFindings(const std::string& path) {
  std::ifstream in(path);
  uint64_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"record\":\"finding\"") != std::string::npos) ++count;
  }
  return count;
}

std::string Duration(double seconds) {
  char text[32];
  const auto s = static_cast<long long>(seconds);
  std::snprintf(text, sizeof text, "%lld:%02lld", s / 60, s % 60);
  return text;
}

}  // namespace

uint32_t AvailableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    return static_cast<uint32_t>(std::max(1, CPU_COUNT(&set)));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

void ReportProgress(uint64_t done, bool final) {
  static const char* path = std::getenv(kProgressFileVariable);
  if (path == nullptr) return;
  static auto last = std::chrono::steady_clock::time_point{};
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - last < std::chrono::milliseconds(200)) return;
  last = now;
  const std::string temp = std::string(path) + ".tmp";
  if (std::FILE* file = std::fopen(temp.c_str(), "w")) {
    std::fprintf(file, "%llu\n", static_cast<unsigned long long>(done));
    std::fclose(file);
    std::rename(temp.c_str(), path);
  }
}

JobsResult RunJobs(const JobsOptions& options) {
  JobsResult result;
  std::error_code error;
  std::filesystem::create_directories(options.results_dir, error);
  if (error) {
    result.error = "cannot create " + options.results_dir + ": " + error.message();
    return result;
  }
  std::vector<pid_t> children;
  std::vector<std::string> progress_files, results_files;
  for (uint32_t i = 0; i < options.jobs; ++i) {
    const Shard shard{i, options.jobs, "--jobs"};
    const std::filesystem::path dir(options.results_dir);
    const std::string base = ResultsFileName(options.suite, shard);
    results_files.push_back((dir / base).string());
    progress_files.push_back((dir / ("." + base + ".progress")).string());
    std::filesystem::remove(progress_files.back(), error);
    const std::string log = (dir / (base.substr(0, base.size() - 6) + ".log")).string();
    std::vector<std::string> args = {options.executable};
    args.insert(args.end(), options.arguments.begin(), options.arguments.end());
    for (const std::string& extra : {std::string("--shard"), shard.ToString(),
                                     std::string("--results"), options.results_dir}) {
      args.push_back(extra);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, kProgressFileVariable, std::strlen(kProgressFileVariable)) != 0) {
        env_strings.emplace_back(*e);
      }
    }
    env_strings.push_back(std::string(kProgressFileVariable) + "=" + progress_files.back());
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    const int rc =
        posix_spawn(&pid, options.executable.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      result.error = "cannot start " + options.executable + ": " + std::strerror(rc);
      for (pid_t child : children) kill(child, SIGTERM);
      for (pid_t child : children) waitpid(child, nullptr, 0);
      return result;
    }
    children.push_back(pid);
  }
  result.exit_codes.assign(children.size(), -1);
  const auto start = std::chrono::steady_clock::now();
  size_t running = children.size();
  while (running > 0) {
    for (size_t i = 0; i < children.size(); ++i) {
      if (result.exit_codes[i] != -1) continue;
      int status = 0;
      if (waitpid(children[i], &status, WNOHANG) == children[i]) {
        result.exit_codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        --running;
      }
    }
    if (options.progress) {
      uint64_t done = 0, findings = 0;
      for (size_t i = 0; i < children.size(); ++i) {
        done += ReadCount(progress_files[i]);
        findings += CountFindings(results_files[i]);
      }
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
      std::string eta = "?";
      if (options.time_budget_seconds > 0) {
        eta = Duration(std::max(0.0, options.time_budget_seconds - seconds));
      } else if (options.expected > 0 && rate > 0) {
        eta = Duration(static_cast<double>(options.expected - std::min(options.expected, done)) /
                       rate);
      }
      std::fprintf(
          stderr,
          "\r\033[K%s: %zu/%zu shards running, %llu%s done, %.0f/s, ETA %s, "
          "%llu finding%s",
          options.suite.c_str(), running, children.size(), static_cast<unsigned long long>(done),
          options.expected > 0 ? ("/" + std::to_string(options.expected)).c_str() : "", rate,
          eta.c_str(), static_cast<unsigned long long>(findings), findings == 1 ? "" : "s");
      std::fflush(stderr);
    }
    if (running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (options.progress) std::fprintf(stderr, "\r\033[K");
  for (const std::string& file : progress_files) std::filesystem::remove(file, error);
  return result;
}

}  // namespace shardstore::checker
