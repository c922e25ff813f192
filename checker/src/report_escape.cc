// Escaping for reports: arbitrary bytes as HTML text, and as JSON text that parses.
#include <cstdio>

#include "shardstore/checker/report.h"

namespace shardstore::checker {
namespace {

// Code points U+10FF00..U+10FFFF stand for bytes that were not UTF-8 (ToValidUtf8).
constexpr uint32_t kByteStandIn = 0x10FF00;

// The code point of the valid UTF-8 sequence at text[i] and its length, or length 0.
struct Decoded {
  uint32_t code_point = 0;
  size_t length = 0;
};
Decoded DecodeAt(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t lead = byte(i);
  if (lead < 0x80) return {lead, 1};
  size_t length = 0;
  uint32_t cp = 0, min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (i + length > text.size()) return {};
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
  if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return {};
  return {cp, length};
}

// Each byte that is not printable UTF-8 through `hex`, the markup characters as entities.
template <typename Hex>
std::string Escape(std::string_view bytes, Hex hex) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (size_t i = 0; i < bytes.size();) {
    const Decoded d = DecodeAt(bytes, i);
    if (d.length == 0) {
      hex(static_cast<uint8_t>(bytes[i]), &out);
      ++i;
      continue;
    }
    const uint32_t cp = d.code_point;
    if (cp >= kByteStandIn) {
      hex(static_cast<uint8_t>(cp - kByteStandIn), &out);
    } else if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
      hex(static_cast<uint8_t>(cp), &out);  // a C0 or C1 control: invisible, or worse
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp == '<') {
      out += "&lt;";
    } else if (cp == '>') {
      out += "&gt;";
    } else if (cp == '"') {
      out += "&quot;";
    } else if (cp == '\'') {
      out += "&#39;";
    } else {
      out.append(bytes.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

}  // namespace

std::string EscapeHtml(std::string_view bytes) {
  return Escape(bytes, [](uint8_t byte, std::string* out) {
    char hex[48];
    std::snprintf(hex, sizeof hex, "<span class=\"hex\">\\x%02x</span>", byte);
    *out += hex;
  });
}

std::string EscapeXml(std::string_view bytes) {
  return Escape(bytes, [](uint8_t byte, std::string* out) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", byte);
    *out += hex;
  });
}

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const Decoded d = DecodeAt(bytes, i);
    if (d.length > 0) {
      out.append(bytes.substr(i, d.length));
      i += d.length;
      continue;
    }
    const uint32_t cp = kByteStandIn | static_cast<uint8_t>(bytes[i]);
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
    ++i;
  }
  return out;
}

}  // namespace shardstore::checker
