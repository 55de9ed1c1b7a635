#pragma once

#include <functional>
#include <string>

// report.html: the same content as report.md, as one self-contained page. The report's
// Markdown (headings, paragraphs, bullet lists, tables, images, `code`, *emphasis*) becomes
// HTML; each image is put inline by `inlineImage` (its file name -> markup, e.g. the chart's
// SVG), so the page loads nothing else.
namespace dockershim::lab {

std::string reportHtml(
    const std::string& markdown,
    const std::function<std::string(const std::string& file, const std::string& alt)>& inlineImage);

}  // namespace dockershim::lab
