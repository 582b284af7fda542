// A strict, minimal XML well-formedness check for the SVG the report code
// writes: one root element, properly nested and closed tags, quoted attribute
// values without '<', only the predefined or numeric entity references, no
// stray '<' or '&' in text. It accepts an XML declaration and comments; it has
// no DTDs, CDATA or processing instructions beyond the declaration, which is
// all the charts need. Returns "" when well-formed, else what is wrong and where.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace charnn::testing {

inline bool xml_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' || c == '.' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Checks the entity references in text or an attribute value.
inline std::string xml_check_references(std::string_view text, size_t at) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') return fmt::format("'<' in text or attribute near byte {}", at + i);
    if (text[i] != '&') continue;
    const size_t end = text.find(';', i);
    if (end == std::string_view::npos) return fmt::format("unterminated '&' near byte {}", at + i);
    const std::string_view name = text.substr(i + 1, end - i - 1);
    const bool numeric = name.size() > 1 && name[0] == '#';
    if (!numeric && name != "amp" && name != "lt" && name != "gt" && name != "quot" && name != "apos") {
      return fmt::format("unknown entity '&{};' near byte {}", name, at + i);
    }
    i = end;
  }
  return "";
}

inline std::string xml_well_formed(std::string_view xml) {
  size_t i = 0;
  if (xml.substr(0, 5) == "<?xml") {
    i = xml.find("?>");
    if (i == std::string_view::npos) return "unterminated XML declaration";
    i += 2;
  }
  std::vector<std::string> open;
  bool seen_root = false;
  while (i < xml.size()) {
    const size_t lt = xml.find('<', i);
    const std::string_view text = xml.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i);
    if (std::string e = xml_check_references(text, i); !e.empty()) return e;
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return fmt::format("text outside the root element near byte {}", i);
    }
    if (lt == std::string_view::npos) break;
    i = lt + 1;
    if (xml.substr(i, 3) == "!--") {
      const size_t end = xml.find("-->", i);
      if (end == std::string_view::npos) return "unterminated comment";
      i = end + 3;
      continue;
    }
    const bool closing = i < xml.size() && xml[i] == '/';
    if (closing) ++i;
    const size_t name_start = i;
    while (i < xml.size() && xml_name_char(xml[i])) ++i;
    const std::string name(xml.substr(name_start, i - name_start));
    if (name.empty()) return fmt::format("a tag without a name near byte {}", name_start);
    if (closing) {
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) ++i;
      if (i >= xml.size() || xml[i] != '>') return fmt::format("malformed closing tag </{}>", name);
      if (open.empty() || open.back() != name) return fmt::format("</{}> closes nothing open near byte {}", name, i);
      open.pop_back();
      ++i;
      continue;
    }
    if (open.empty() && seen_root) return fmt::format("a second root element <{}>", name);
    seen_root = true;
    std::vector<std::string> attributes;
    while (true) {
      while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) ++i;
      if (i >= xml.size()) return fmt::format("unterminated tag <{}>", name);
      if (xml[i] == '>' || xml.substr(i, 2) == "/>") break;
      const size_t attribute_start = i;
      while (i < xml.size() && xml_name_char(xml[i])) ++i;
      const std::string attribute(xml.substr(attribute_start, i - attribute_start));
      if (attribute.empty() || i + 1 >= xml.size() || xml[i] != '=' || (xml[i + 1] != '"' && xml[i + 1] != '\'')) {
        return fmt::format("malformed attribute in <{}> near byte {}", name, attribute_start);
      }
      for (const std::string& seen : attributes) {
        if (seen == attribute) return fmt::format("attribute '{}' twice in <{}>", attribute, name);
      }
      attributes.push_back(attribute);
      const char quote = xml[i + 1];
      const size_t value_end = xml.find(quote, i + 2);
      if (value_end == std::string_view::npos) return fmt::format("unterminated attribute value in <{}>", name);
      if (std::string e = xml_check_references(xml.substr(i + 2, value_end - i - 2), i + 2); !e.empty()) return e;
      i = value_end + 1;
    }
    if (xml[i] == '/') {
      i += 2;
    } else {
      open.push_back(name);
      ++i;
    }
  }
  if (!open.empty()) return fmt::format("<{}> is never closed", open.back());
  if (!seen_root) return "no root element";
  return "";
}

}  // namespace charnn::testing
