// What copying Docker's json-file log into a CRI log costs dockershim: MB/s and CPU seconds per
// GB of Docker log, for lines of a given length. Prints numbers; passes or fails nothing.
// Usage: log_copy [--mb 300] [--line 100] [--dir /tmp] [--escapes]
//
// The Docker log is written first (in Docker's own shape, fields in its order), then one
// ContainerLog copies it the way the daemon's copier thread does, in budgeted pumps.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "logs/container_log.h"

namespace {

double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// One Docker json-file line of about `length` bytes of text (escapes: a tab and quotes in it).
std::string dockerLine(size_t n, size_t length, bool escapes) {
  std::string text = "line " + std::to_string(n) + " ";
  while (text.size() < length) text += escapes ? "a \\\"quoted\\\"\\tword " : "lorem ipsum ";
  text.resize(length);
  if (escapes && text.back() == '\\') text.back() = 'x';
  char time[64];
  std::snprintf(time, sizeof(time), "2026-12-07T10:%02zu:%02zu.%09zuZ", (n / 60000) % 60,
                (n / 1000) % 60, (n % 1000) * 1000000 + 123);
  return std::string(R"({"log":")") + text + R"(\n","stream":")" +
         (n % 5 == 0 ? "stderr" : "stdout") + R"(","time":")" + time + "\"}\n";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Docker json-file -> CRI log copy cost"};
  size_t megabytes = 300;
  size_t lineLength = 100;
  std::string dir = std::filesystem::temp_directory_path();
  bool escapes = false;
  app.add_option("--mb", megabytes, "size of the Docker log to copy, MB");
  app.add_option("--line", lineLength, "bytes of text per line");
  app.add_option("--dir", dir, "where the two logs are written (deleted afterwards)");
  app.add_flag("--escapes", escapes, "lines with quotes and tabs (escaped in JSON)");
  CLI11_PARSE(app, argc, argv);

  std::string work = dir + "/log_copy." + std::to_string(::getpid());
  std::filesystem::create_directories(work);
  std::string dockerPath = work + "/docker-json.log";
  std::string criPath = work + "/cri.log";
  size_t lines = 0;
  uint64_t bytes = 0;
  {
    std::ofstream out(dockerPath, std::ios::binary);
    std::string chunk;
    while (bytes < megabytes * 1'000'000) {
      chunk.clear();
      for (int i = 0; i < 1000; ++i) chunk += dockerLine(lines++, lineLength, escapes);
      out << chunk;
      bytes += chunk.size();
    }
  }
  std::fprintf(stderr, "docker log: %zu lines, %.1f MB; copying...\n", lines, bytes / 1e6);

  dockershim::logs::ContainerLog log("bench", dockerPath, criPath, std::nullopt, {});
  if (auto st = log.openDestination(); !st) {
    std::fprintf(stderr, "open %s: %s\n", criPath.c_str(), st.message().c_str());
    return 1;
  }
  dockershim::logs::CopyScratch scratch;
  double cpu0 = cpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  // The daemon's copier pumps each container with a budget, round robin.
  while (log.pump(scratch, 1 << 20)) {
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpuSeconds() - cpu0;
  uint64_t written = std::filesystem::file_size(criPath);
  std::printf("lines                 %zu (%zu bytes of text each%s)\n", lines, lineLength,
              escapes ? ", escaped" : "");
  std::printf("docker log            %.1f MB\n", bytes / 1e6);
  std::printf("cri log               %.1f MB\n", written / 1e6);
  std::printf("wall                  %.3f s  (%.0f MB/s)\n", wall, bytes / 1e6 / wall);
  std::printf("cpu                   %.3f s  (%.2f s per GB of Docker log)\n", cpu,
              cpu / (bytes / 1e9));
  std::printf("per line              %.0f ns cpu\n", cpu * 1e9 / static_cast<double>(lines));
  std::filesystem::remove_all(work);
  return 0;
}
