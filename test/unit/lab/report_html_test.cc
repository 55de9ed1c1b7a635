#include "report_html.h"

#include <catch2/catch.hpp>

namespace dockershim::lab {
namespace {

TEST_CASE("lab: report.md as one self-contained HTML page", "[lab]") {
  std::string md =
      "# dockershim-lab compare\n\n"
      "Machine: 2 CPUs, `cgroup v1` & *more*.\nSecond line.\n\n"
      "## At 105 pods\n\n"
      "| runtime | CPU | <b> |\n| --- | --- | --- |\n| docker | 0.1 | x |\n| containerd | 0.2 | y "
      "|\n\n"
      "![memory](memory.png) ![cpu](cpu.png)\n\n"
      "- *daemons* are long-running\n- shims per container\n";
  std::vector<std::string> asked;
  auto html = reportHtml(md, [&](const std::string& file, const std::string& alt) {
    asked.push_back(file + "=" + alt);
    return "<svg data-chart=\"" + file + "\"></svg>";
  });
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<title>dockershim-lab compare</title>") != std::string::npos);
  CHECK(html.find("<h1>dockershim-lab compare</h1>") != std::string::npos);
  CHECK(html.find("<h2>At 105 pods</h2>") != std::string::npos);
  CHECK(html.find("<p>Machine: 2 CPUs, <code>cgroup v1</code> &amp; <em>more</em>.\nSecond "
                  "line.</p>") != std::string::npos);
  CHECK(html.find("<th>runtime</th><th>CPU</th><th>&lt;b&gt;</th>") != std::string::npos);
  CHECK(html.find("<tr><td>containerd</td><td>0.2</td><td>y</td></tr>") != std::string::npos);
  CHECK(html.find("---") == std::string::npos);  // the rule under the head is no row
  CHECK(asked == std::vector<std::string>{"memory.png=memory", "cpu.png=cpu"});
  CHECK(html.find("<figure><svg data-chart=\"memory.png\"></svg></figure>") != std::string::npos);
  CHECK(html.find("<li><em>daemons</em> are long-running</li>") != std::string::npos);
  // Nothing to fetch: no external source or stylesheet.
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
}

}  // namespace
}  // namespace dockershim::lab
