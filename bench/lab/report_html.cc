#include "report_html.h"

#include <sstream>
#include <vector>

namespace dockershim::lab {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// Inline markup of one line: images, `code`, *emphasis*; everything else escaped.
std::string inlineMarkup(
    const std::string& s,
    const std::function<std::string(const std::string&, const std::string&)>& inlineImage) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 2, "![") == 0) {
      size_t altEnd = s.find("](", i + 2);
      size_t end = altEnd == std::string::npos ? altEnd : s.find(')', altEnd + 2);
      if (end != std::string::npos) {
        std::string alt = s.substr(i + 2, altEnd - i - 2);
        std::string file = s.substr(altEnd + 2, end - altEnd - 2);
        out += "<figure>" + inlineImage(file, alt) + "</figure>";
        i = end + 1;
        continue;
      }
    }
    if (s[i] == '`') {
      size_t end = s.find('`', i + 1);
      if (end != std::string::npos) {
        out += "<code>" + escape(s.substr(i + 1, end - i - 1)) + "</code>";
        i = end + 1;
        continue;
      }
    }
    if (s[i] == '*' && i + 1 < s.size() && s[i + 1] != ' ') {
      size_t end = s.find('*', i + 1);
      if (end != std::string::npos && end > i + 1) {
        out += "<em>" + escape(s.substr(i + 1, end - i - 1)) + "</em>";
        i = end + 1;
        continue;
      }
    }
    out += escape(std::string(1, s[i]));
    ++i;
  }
  return out;
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string r = row;
  if (!r.empty() && r.front() == '|') r.erase(0, 1);
  if (!r.empty() && r.back() == '|') r.pop_back();
  std::stringstream in(r);
  std::string cell;
  while (std::getline(in, cell, '|')) {
    size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
    out.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
  }
  return out;
}

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Verdana, sans-serif; color: #222; max-width: 1100px;
       margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #1f77b4; padding-bottom: .2em; }
h2 { font-size: 1.3em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f4f8; }
tr:nth-child(even) td { background: #fafafa; }
code { background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
figure { display: inline-block; margin: .5em 1em .5em 0; }
figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
)";

}  // namespace

std::string reportHtml(const std::string& markdown,
                       const std::function<std::string(const std::string& file,
                                                       const std::string& alt)>& inlineImage) {
  std::vector<std::string> lines;
  {
    std::stringstream in(markdown);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  std::string title = "dockershim-lab report";
  std::string body;
  std::string paragraph;
  auto flush = [&] {
    if (!paragraph.empty()) body += "<p>" + paragraph + "</p>\n";
    paragraph.clear();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) {
      flush();
      continue;
    }
    if (line.rfind("# ", 0) == 0) {
      flush();
      title = line.substr(2);
      body += "<h1>" + inlineMarkup(title, inlineImage) + "</h1>\n";
    } else if (line.rfind("## ", 0) == 0) {
      flush();
      body += "<h2>" + inlineMarkup(line.substr(3), inlineImage) + "</h2>\n";
    } else if (line.rfind("- ", 0) == 0) {
      flush();
      body += "<ul>\n";
      for (; i < lines.size() && lines[i].rfind("- ", 0) == 0; ++i) {
        body += "<li>" + inlineMarkup(lines[i].substr(2), inlineImage) + "</li>\n";
      }
      --i;
      body += "</ul>\n";
    } else if (line.front() == '|') {
      flush();
      body += "<table>\n<thead><tr>";
      for (const auto& c : cells(line)) body += "<th>" + inlineMarkup(c, inlineImage) + "</th>";
      body += "</tr></thead>\n<tbody>\n";
      ++i;
      if (i < lines.size() && lines[i].rfind("| ---", 0) == 0) ++i;  // the rule under the head
      for (; i < lines.size() && !lines[i].empty() && lines[i].front() == '|'; ++i) {
        body += "<tr>";
        for (const auto& c : cells(lines[i]))
          body += "<td>" + inlineMarkup(c, inlineImage) + "</td>";
        body += "</tr>\n";
      }
      --i;
      body += "</tbody>\n</table>\n";
    } else {
      if (!paragraph.empty()) paragraph += "\n";
      paragraph += inlineMarkup(line, inlineImage);
    }
  }
  flush();
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n" + body +
         "</body>\n</html>\n";
}

}  // namespace dockershim::lab
